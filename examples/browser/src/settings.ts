/**
 * @file The page's form: reads each field, checks it and says what is wrong in words, so bad input
 * gives a message on the page instead of a half-started run.
 */

export interface Settings {
  /** Width of both hidden layers. */
  hidden: number;
  steps: number;
  learningRate: number;
  seed: number;
}

/** A field the user got wrong, with a message that names it. */
export class SettingsError extends Error {
  constructor(
    readonly field: keyof Settings,
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
  const kind = integer ? 'a whole number' : 'a number';
  if (!Number.isFinite(value)) {
    throw new SettingsError(field, `${label}: '${text}' is not a number; enter ${kind} from ${min} to ${max}.`);
  }
  if ((integer && !Number.isInteger(value)) || value < min || value > max) {
    throw new SettingsError(field, `${label}: ${trimmed} is out of range; enter ${kind} from ${min} to ${max}.`);
  }
  return value;
}

/** Every setting, read from the texts of the form's fields (the first bad one throws). */
export function parseSettings(texts: Readonly<Record<keyof Settings, string>>): Settings {
  return {
    hidden: parseField('hidden', texts.hidden),
    steps: parseField('steps', texts.steps),
    learningRate: parseField('learningRate', texts.learningRate),
    seed: parseField('seed', texts.seed),
  };
}
