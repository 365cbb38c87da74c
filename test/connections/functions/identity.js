export const transform = (message) => message;
