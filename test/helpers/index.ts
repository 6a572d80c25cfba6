export * from './ids';
export * from './tsrun';
export * from './bundle';
export * from './leftovers';
export * from './lab';
export * from './proc';
export * from './wait';
export * from './stored-state';
