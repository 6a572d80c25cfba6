// The runtime-spec version tsrun implements: the one definition, in a module
// of its own (no zod) so that `tsrun state` can print it without loading the
// schemas.
export const OCI_VERSION = '1.3.0';
