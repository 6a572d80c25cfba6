// Container ids name a directory under --root (and cgroups), so they are
// restricted the way runc restricts them: [A-Za-z0-9_+.-], not "." or "..",
// and short enough to be one path component.
import { TsrunError } from '../errors';

/** NAME_MAX: the id is used as a directory name */
const MAX_ID_LENGTH = 255;

const ID_CHARS = /^[A-Za-z0-9_+\-.]+$/;

/** The reason an id is rejected, or undefined when it is valid. */
export function idProblem(id: string): string | undefined {
  if (id.length === 0) return 'empty';
  if (id.length > MAX_ID_LENGTH) return `longer than ${MAX_ID_LENGTH} characters`;
  if (!ID_CHARS.test(id)) return 'only letters, digits and _ + - . are allowed';
  if (id === '.' || id === '..') return 'not a valid file name';
  return undefined;
}

export function isValidContainerId(id: string): boolean {
  return idProblem(id) === undefined;
}

/** Throws runc's "invalid container ID format" (plus the reason) for a bad id. */
export function validateContainerId(id: string): void {
  const problem = idProblem(id);
  if (problem) throw new TsrunError(`invalid container ID format: ${JSON.stringify(id)}: ${problem}`, { containerId: id });
}
