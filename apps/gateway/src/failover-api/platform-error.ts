/**
 * Routee's platform error, as a Routee Failover API client expects it on every `/failover*` route:
 * `{"code":"400000000","developerMessage":"…","properties":{"flow[1].to":"…"}}`. ApiExceptionFilter renders it
 * (and renders every other error on those routes in the same body, the code being the status followed by six zeros).
 */
export interface PlatformErrorBody {
  code: string;
  developerMessage: string;
  properties?: Record<string, string>;
}

/** the code Routee's platform gives a status with no finer code: `400` → `"400000000"` */
export function platformCode(status: number): string {
  return `${status}000000`;
}

export class PlatformError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly properties?: Record<string, string>,
  ) {
    super(message);
    this.name = 'PlatformError';
  }

  /** a 400 naming the bad fields, keys as Routee writes them: `flow[0].message.body`, `callback.url`, `dateStart` */
  static badRequest(properties: Record<string, string>, message = 'Validation failed'): PlatformError {
    return new PlatformError(400, platformCode(400), message, properties);
  }

  static notFound(message = 'tracking not found'): PlatformError {
    return new PlatformError(404, platformCode(404), message);
  }

  get body(): PlatformErrorBody {
    return this.properties
      ? { code: this.code, developerMessage: this.message, properties: this.properties }
      : { code: this.code, developerMessage: this.message };
  }
}
