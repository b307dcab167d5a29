// mmgen's library entry point.
export * from './tensor/index.js';
