// Errors the API answers with: a status, a short machine code and a message naming the input and the fix.
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

export const badRequest = (code: string, message: string): HttpError => new HttpError(400, code, message);
export const notFound = (code: string, message: string): HttpError => new HttpError(404, code, message);
