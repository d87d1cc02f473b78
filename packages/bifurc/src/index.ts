export * from './classifier.js';
