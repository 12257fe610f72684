import { BadInputError, printable } from '../errors';

/**
 * The key searched does not exist: said as an error, not as "0 matches" (a misspelt stream name
 * or the wrong database would otherwise look like a stream without matches).
 */
export class NoSuchStreamError extends BadInputError {
  constructor(readonly key: string) {
    super(`There is no key "${printable(key)}" on this server (no such stream): check the name and the database`);
  }
}
