export * from './ids';
export * from './tsrun';
export * from './bundle';
export * from './leftovers';
export * from './container';
