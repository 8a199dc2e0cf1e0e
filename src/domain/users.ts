// User names, as the reference system accepts them: a letter first, then
// letters, digits, '.', '+' or '-', not ending in a punctuation character.
const USER_RE = /^[a-zA-Z](?:[a-zA-Z0-9.+-]*[a-zA-Z0-9])?$/;

/** An error description for an invalid user name, or undefined. */
export function validateUserName(name: string): string | undefined {
  if (!name) return "a user name is required";
  if (name.length > 64) return "user name is too long (max 64 characters)";
  if (!USER_RE.test(name)) {
    return `invalid user name "${name}": use letters, digits, '.', '+' and '-', starting with a letter`;
  }
  return undefined;
}
