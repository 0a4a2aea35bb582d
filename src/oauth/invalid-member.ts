// What was wrong with a server's JSON answer, said from a valibot issue without quoting the value:
// valibot's default messages include what was received, which may be a token or a code. Our own
// messages (set in the schemas) are kept; valibot's defaults ("Invalid ...") become "is invalid".

import * as v from "valibot";

export function describeInvalidMember(issue: v.BaseIssue<unknown>, whole: string): string {
  const path = v.getDotPath(issue) ?? whole;
  if (issue.input === undefined) return `${path} is missing`;
  return issue.message.startsWith("Invalid") ? `${path} is invalid` : issue.message;
}
