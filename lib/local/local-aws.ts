/**
 * What a client of the local stack needs to know, without loading the local servers themselves:
 * the region the embedded queues live in, and the placeholder credentials they accept.
 */
export const LOCAL_REGION = "us-east-1";
/** fauxqs and dynalite accept any credentials; these only keep the SDK from looking for real ones. */
export const LOCAL_CREDENTIALS = { accessKeyId: "local", secretAccessKey: "local" };
