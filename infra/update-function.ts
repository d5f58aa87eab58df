/**
 * The Lambda function that applies the updates: Node.js 24 on arm64, bundled by esbuild as a
 * minified ES module with source maps, its own role (no AWS managed policy) and its own log group.
 */
import { join } from "node:path";
import { Duration, RemovalPolicy, Validations } from "aws-cdk-lib";
import { Role, ServicePrincipal } from "aws-cdk-lib/aws-iam";
import { Architecture, LoggingFormat, RecursiveLoop, Runtime, Tracing } from "aws-cdk-lib/aws-lambda";
import { NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import { LogGroup, type RetentionDays } from "aws-cdk-lib/aws-logs";
import { Construct } from "constructs";

/** The repository's root: the bundler's project root and where the lockfile lives. */
export const REPO_ROOT = join(import.meta.dirname, "..");

/** The handler the stack deploys. */
export const HANDLER_ENTRY = join(REPO_ROOT, "functions", "update-metadata", "handler.ts");

/**
 * Some bundled CommonJS dependencies call `require` (for Node built-ins); an ES module has none, so
 * the bundle defines one.
 */
const REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

export interface UpdateFunctionProps {
  readonly functionName: string;
  readonly memorySizeMb: number;
  readonly timeoutSeconds: number;
  /** Concurrency reserved for the function; undefined reserves none. */
  readonly reservedConcurrency?: number | undefined;
  /** X-Ray active tracing of the function and its AWS calls; off, traces pass through only. */
  readonly tracing: boolean;
  readonly logRetentionDays: number;
  /** The handler's `SPOT_META_*` environment (from `toEnvironment`); never a secret value. */
  readonly environment: Record<string, string>;
  /** @default HANDLER_ENTRY */
  readonly entry?: string;
}

export class UpdateFunction extends Construct {
  readonly function: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: UpdateFunctionProps) {
    super(scope, id);
    this.role = new Role(this, "Role", {
      assumedBy: new ServicePrincipal("lambda.amazonaws.com"),
      description: `Runs ${props.functionName}: its own log group, its queues, the token secret, the ledger`,
    });
    this.logGroup = new LogGroup(this, "Logs", {
      retention: props.logRetentionDays as RetentionDays,
      // The logs outlive the function only as long as their retention says; nothing else needs them.
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup.grantWrite(this.role);
    this.function = new NodejsFunction(this, "Function", {
      functionName: props.functionName,
      description: "Applies order metadata updates from SQS to Spot",
      entry: props.entry ?? HANDLER_ENTRY,
      handler: "handler",
      projectRoot: REPO_ROOT,
      depsLockFilePath: join(REPO_ROOT, "package-lock.json"),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySizeMb,
      timeout: Duration.seconds(props.timeoutSeconds),
      ...(props.reservedConcurrency === undefined
        ? {}
        : { reservedConcurrentExecutions: props.reservedConcurrency }),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      // The handler sends a message handed back for a cause not its own to the queue that invokes it:
      // a loop Lambda would stop after ~16 hops, dropping the message. The handler bounds it itself
      // (maxHandBackAgeSeconds), and an alarm watches RecursiveInvocationsDropped.
      recursiveLoop: RecursiveLoop.ALLOW,
      tracing: props.tracing ? Tracing.ACTIVE : Tracing.PASS_THROUGH,
      environment: {
        ...props.environment,
        NODE_OPTIONS: "--enable-source-maps",
        // Powertools' own `service` dimension (the ColdStart metric carries it) instead of "service_undefined".
        POWERTOOLS_SERVICE_NAME: "spot-order-metadata",
      },
      bundling: {
        format: OutputFormat.ESM,
        target: "node24",
        mainFields: ["module", "main"],
        banner: REQUIRE_BANNER,
        minify: true,
        sourceMap: true,
        // Stack traces need line mappings, not the sources: keeps the bundle small.
        sourcesContent: false,
        // The nodejs24.x runtime provides the AWS SDK v3.
        externalModules: ["@aws-sdk/*"],
      },
    });
    // Tracing grants xray:PutTraceSegments and xray:PutTelemetryRecords, which take no resource.
    Validations.of(this.role).acknowledge({
      id: "AwsSolutions-IAM5[Resource::*]",
      reason:
        "X-Ray's PutTraceSegments and PutTelemetryRecords do not support resource-level permissions; AWS documents Resource * for them. Nothing else on this role is granted on *.",
    });
  }
}
