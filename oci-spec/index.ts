// oci-spec: the typed contract for OCI documents (zod schemas + inferred types).
// No runtime logic here. Hot paths (tsrun create) should import './validate' and
// './runtime' directly rather than this index, which also loads the image, state
// and features schemas.
export * from './errors';
export * from './runtime';
export * from './state';
export * from './features';
export * from './image';
export * from './validate';
