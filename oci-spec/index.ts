// oci-spec: the typed contract for OCI documents (zod schemas + inferred types).
// No runtime logic here. The runtime (src/, outside src/image) imports
// './validate', './runtime-enums' and the like directly, never this index, which
// loads zod and every schema (.dependency-cruiser.cjs: zod-only-for-images).
export * from './errors';
export * from './runtime';
export * from './state';
export * from './features';
export * from './image';
export * from './validate';
