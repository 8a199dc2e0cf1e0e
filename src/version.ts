// The release of this build (controllers compare agent versions; `ferry version` prints it).
export const FERRY_VERSION = "1.0.0";
