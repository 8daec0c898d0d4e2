// Deadlines for verify's network calls. Every call to a live system runs through one of these: it gets an
// AbortSignal that fires after the call's time (or at the run's deadline), and the call is given up when
// it fires even if the client ignores the signal. After one call to a system went unanswered, that
// system's later calls fail at once with the same reason: a frozen server costs one call's time, not
// retries × buckets × timeout.

/** How long verify waits for one answer (one S3, Admin Ops, Connect, registry or Kubernetes request). */
export const CALL_TIMEOUT_MS = 10_000;
/** How long a whole verify run may take (`--timeout` changes it); a registry's jar layer download counts. */
export const RUN_TIMEOUT_MS = 120_000;

export interface DeadlineOptions {
  callMs?: number;
  runMs?: number;
}

/** An error for a call that got no answer in time; `system` names who did not answer. */
export interface NoAnswerError extends Error {
  name: "NoAnswer";
  system: string;
}

export const isNoAnswer = (error: unknown): error is NoAnswerError =>
  typeof error === "object" && error !== null && (error as { name?: unknown }).name === "NoAnswer";

function noAnswer(message: string, system: string): NoAnswerError {
  const error = new Error(message) as NoAnswerError;
  error.name = "NoAnswer";
  error.system = system;
  return error;
}

/** A timeout of a client's own (fetch's AbortSignal, the AWS SDK's, the RGW admin client's RgwError kind "timeout"). */
function isClientTimeout(error: unknown): boolean {
  if (typeof error !== "object" || error === null) return false;
  const fields = error as { name?: unknown; kind?: unknown; code?: unknown };
  return fields.name === "TimeoutError" || fields.name === "AbortError" || fields.kind === "timeout" || fields.code === "ETIMEDOUT";
}

/**
 * One network call: `call` gets the signal to pass to its client and `alive()` to call when data arrives
 * (a download that keeps arriving is not frozen: each chunk restarts the call's timer).
 */
export type Call<T> = (signal: AbortSignal, alive: () => void) => Promise<T>;

/** Calls to one system (one endpoint), e.g. "RGW at http://rgw:7480". */
export type Bounded = <T>(what: string, call: Call<T>) => Promise<T>;

export class Deadlines {
  readonly callMs: number;
  readonly runMs: number;
  private readonly run = new AbortController();
  private readonly timer: NodeJS.Timeout;
  private readonly frozen = new Map<string, string>();

  constructor(options: DeadlineOptions = {}) {
    this.runMs = options.runMs ?? RUN_TIMEOUT_MS;
    this.callMs = Math.min(options.callMs ?? CALL_TIMEOUT_MS, this.runMs);
    this.timer = setTimeout(() => this.run.abort(), this.runMs);
    this.timer.unref();
  }

  /** Stops the run's timer (the run is over). */
  close(): void {
    clearTimeout(this.timer);
  }

  /** The calls of one system. `hint` says what to check when it does not answer (the config key or variable). */
  for(system: string, hint: string): Bounded {
    return async <T>(what: string, call: Call<T>): Promise<T> => {
      const earlier = this.frozen.get(system);
      if (earlier !== undefined) throw noAnswer(`${earlier}; not asked again for ${what}`, system);
      if (this.run.signal.aborted) throw noAnswer(`verify's run deadline of ${this.runMs / 1000} s passed before ${what} on ${system}`, system);
      const controller = new AbortController();
      let timer: NodeJS.Timeout | undefined;
      let expired: (reason: NoAnswerError) => void = () => undefined;
      const gaveUp = new Promise<never>((_, reject) => (expired = reject));
      const fire = (message: string) => {
        const error = noAnswer(message, system);
        controller.abort(error);
        expired(error);
      };
      const arm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => fire(`no answer from ${system} within ${this.callMs / 1000} s to ${what} — ${hint}`), this.callMs);
      };
      const onRunAbort = () => fire(`verify's run deadline of ${this.runMs / 1000} s passed during ${what} on ${system}`);
      this.run.signal.addEventListener("abort", onRunAbort, { once: true });
      arm();
      try {
        return await Promise.race([call(controller.signal, arm), gaveUp]);
      } catch (error) {
        const reason =
          controller.signal.aborted && isNoAnswer(controller.signal.reason)
            ? controller.signal.reason
            : isClientTimeout(error)
              ? noAnswer(`no answer from ${system} to ${what} — ${hint}`, system)
              : undefined;
        if (reason === undefined) throw error;
        this.frozen.set(system, reason.message);
        throw reason;
      } finally {
        clearTimeout(timer);
        this.run.signal.removeEventListener("abort", onRunAbort);
        gaveUp.catch(() => undefined);
      }
    };
  }
}
