// Parsing of the CLI's numeric flags and formatting of its percentages, shared by every command so the
// errors read the same everywhere ("--beam must be a positive integer, got "0"").

/** An integer flag in [minimum, maximum]; the error names the flag and the value given. */
export function integerFlag(value: string, flag: string, minimum = 1, maximum = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(value);
  if (Number.isSafeInteger(parsed) && parsed >= minimum && parsed <= maximum) return parsed;
  const range =
    maximum !== Number.MAX_SAFE_INTEGER
      ? `an integer from ${minimum} to ${maximum}`
      : minimum === 1
        ? 'a positive integer'
        : minimum === 0
          ? 'a non-negative integer'
          : `an integer ≥ ${minimum}`;
  throw new Error(`${flag} must be ${range}, got "${value}"`);
}

/** A number flag in [minimum, maximum]; the error names the flag and the value given. */
export function numberFlag(value: string, flag: string, minimum: number, maximum: number): number {
  const parsed = Number(value);
  if (value.trim() !== '' && Number.isFinite(parsed) && parsed >= minimum && parsed <= maximum) return parsed;
  throw new Error(`${flag} must be a number from ${minimum} to ${maximum}, got "${value}"`);
}

/** `--split`: the split an eval scores, test or val (undefined = test); anything else names the flag. */
export function splitFlag(value: string | undefined): 'test' | 'val' | undefined {
  if (value === undefined || value === 'test' || value === 'val') return value;
  throw new Error(`--split must be test or val, got "${value}"`);
}

/** `--rejection F`: the share of draws a GAN's discriminator rejects (undefined = the run's setting). */
export const rejectionFlag = (value: string | undefined): { rejection?: number } =>
  value === undefined ? {} : { rejection: numberFlag(value, '--rejection', 0, 0.9) };

/** Help text of `--rejection`. */
export const REJECTION_HELP =
  "GAN runs: share of draws the discriminator rejects and draws again, e.g. 0.1; 0 = off (default: the run's generation.rejection, 0)";

/** Collects the values of a repeatable option (`--with A --with B`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** 0.891 → "89.1 %". */
export const percent = (value: number, digits = 1): string => `${(value * 100).toFixed(digits)} %`;
