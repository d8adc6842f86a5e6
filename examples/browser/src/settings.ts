/**
 * @file The page's form: reads each field, checks it and says what is wrong with each in words, so
 * bad input gives a message on the page instead of a half-started run.
 */

export interface Settings {
  /** Width of both hidden layers. */
  hidden: number;
  steps: number;
  learningRate: number;
  seed: number;
}

/** Fields the user got wrong, with one message line per field that names it. */
export class SettingsError extends Error {
  constructor(
    readonly fields: readonly (keyof Settings)[],
    message: string,
  ) {
    super(message);
    this.name = 'SettingsError';
  }
}

interface FieldRule {
  label: string;
  integer: boolean;
  min: number;
  max: number;
}

const RULES: { [K in keyof Settings]: FieldRule } = {
  hidden: { label: 'Hidden width', integer: true, min: 1, max: 256 },
  steps: { label: 'Steps', integer: true, min: 1, max: 5000 },
  learningRate: { label: 'Learning rate', integer: false, min: 1e-6, max: 1 },
  seed: { label: 'Seed', integer: true, min: 0, max: 2 ** 31 - 1 },
};

/** The number in `text`, or a SettingsError naming the field, what was typed and what is allowed. */
export function parseField(field: keyof Settings, text: string): number {
  const { label, integer, min, max } = RULES[field];
  const trimmed = text.trim();
  const value = trimmed === '' ? NaN : Number(trimmed);
  const allowed = `enter ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}.`;
  const problem = !Number.isFinite(value)
    ? `'${text}' is not a number`
    : integer && !Number.isInteger(value)
      ? `${trimmed} is not a whole number`
      : value < min || value > max
        ? `${trimmed} is out of range`
        : null;
  if (problem) throw new SettingsError([field], `${label}: ${problem}; ${allowed}`);
  return value;
}

/** Every setting, read from the texts of the form's fields; one SettingsError lists every bad one. */
export function parseSettings(texts: Readonly<Record<keyof Settings, string>>): Settings {
  const settings: Partial<Settings> = {};
  const errors: SettingsError[] = [];
  for (const field of Object.keys(RULES) as (keyof Settings)[]) {
    try {
      settings[field] = parseField(field, texts[field]);
    } catch (e) {
      if (!(e instanceof SettingsError)) throw e;
      errors.push(e);
    }
  }
  if (errors.length > 0) {
    throw new SettingsError(
      errors.flatMap((e) => e.fields),
      errors.map((e) => e.message).join('\n'),
    );
  }
  return settings as Settings;
}
