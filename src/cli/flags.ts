// Parsing of the CLI's numeric flags and formatting of its percentages, shared by every command so the
// errors read the same everywhere ("--beam must be a positive integer, got "0"").

/** An integer flag in [minimum, maximum]; the error names the flag and the value given. */
export function integerFlag(value: string, flag: string, minimum = 1, maximum = Number.MAX_SAFE_INTEGER): number {
  const parsed = Number(value);
  if (Number.isSafeInteger(parsed) && parsed >= minimum && parsed <= maximum) return parsed;
  const range = maximum !== Number.MAX_SAFE_INTEGER ? `an integer from ${minimum} to ${maximum}`
    : minimum === 1 ? 'a positive integer'
    : minimum === 0 ? 'a non-negative integer'
    : `an integer ≥ ${minimum}`;
  throw new Error(`${flag} must be ${range}, got "${value}"`);
}

/** Collects the values of a repeatable option (`--with A --with B`). */
export function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

/** 0.891 → "89.1 %". */
export const percent = (value: number, digits = 1): string => `${(value * 100).toFixed(digits)} %`;
