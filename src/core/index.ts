export * from './chat-request.js';
export * from './chat-response.js';
export * from './outcome.js';
export * from './errors.js';
export * from './clock.js';
export * from './request-id.js';
