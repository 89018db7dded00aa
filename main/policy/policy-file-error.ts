// The error a policy.json that containers/image would refuse produces: where (line, column, path), the
// consequence for the host, the fix; and the advice for the seed document's invalid "keyless" block.

import { CodedError } from '../shared/errors.ts';
import type { Position } from './located-json.ts';

export type PolicyFileCode = 'policy-syntax' | 'policy-invalid' | 'policy-keyless' | 'policy-unreadable';

/** What the seed document's `"keyless": {issuer, subject}` block asked for, and what can be done. */
export interface KeylessAdvice {
  readonly issuer?: string;
  readonly subject?: string;
  /** The subject is a GitHub Actions (or other URI) identity, which no policy can express. */
  readonly expressible: boolean;
  /** The valid replacement when the subject is an e-mail address. */
  readonly equivalent?: Record<string, unknown>;
  readonly explanation: string;
}

export class PolicyFileError extends CodedError<PolicyFileCode> {
  readonly source: string;
  readonly position?: Position;
  /** Where in the document: `transports.docker["ghcr.io/acme"][0].keyless`. */
  readonly path: string;
  readonly problem: string;
  readonly fix: string;
  readonly keyless?: KeylessAdvice;

  constructor(fields: {
    code: PolicyFileCode;
    source: string;
    position?: Position;
    path: string;
    problem: string;
    fix: string;
    keyless?: KeylessAdvice;
  }) {
    const where = fields.position ? `, line ${fields.position.line}, column ${fields.position.column}` : '';
    const at = fields.path ? ` (at ${fields.path})` : '';
    super(fields.code, `${fields.source}${where}${at}: ${fields.problem}. ${POLICY_LOAD_CONSEQUENCE} ${fields.fix}`);
    this.source = fields.source;
    if (fields.position) this.position = fields.position;
    this.path = fields.path;
    this.problem = fields.problem;
    this.fix = fields.fix;
    if (fields.keyless) this.keyless = fields.keyless;
  }

  override toJSON(): { code: PolicyFileCode; message: string } & Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      source: this.source,
      ...(this.position ? { line: this.position.line, column: this.position.column } : {}),
      path: this.path,
      problem: this.problem,
      fix: this.fix,
      ...(this.keyless ? { keyless: this.keyless } : {}),
    };
  }
}

export const POLICY_LOAD_CONSEQUENCE =
  'containers/image refuses the whole file, so while it is in place every image pull on this host fails: rpm-ostree and bootc updates, podman, skopeo.';

export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com';

/** The answer to the seed's `"keyless": {"issuer", "subject"}` block: the valid form, or why there is none. */
export function keylessAdvice(issuer: string | undefined, subject: string | undefined): KeylessAdvice {
  const modes =
    'Use key-enforced mode (the publisher also signs with a cosign key; `vespera-updates policy plan --mode key --key cosign.pub` writes the rule) or app-enforced mode (Vespera Updates verifies the keyless signature itself and deploys only the verified digest).';
  const isEmail = subject !== undefined && /^[^@\s/]+@[^@\s/]+\.[^@\s/]+$/.test(subject);
  if (isEmail) {
    const equivalent = {
      type: 'sigstoreSigned',
      fulcio: { caPath: '/etc/pki/containers/fulcio.pem', oidcIssuer: issuer ?? 'https://ISSUER', subjectEmail: subject },
      rekorPublicKeyPath: '/etc/pki/containers/rekor.pub',
      signedIdentity: { type: 'matchRepository' },
    };
    return {
      ...(issuer !== undefined ? { issuer } : {}),
      subject,
      expressible: true,
      equivalent,
      explanation: `Replace the requirement with ${JSON.stringify(equivalent)}: "fulcio" needs the Fulcio root certificates in caPath and a Rekor public key, and works with containers/image 5.24 / skopeo 1.11 or newer.`,
    };
  }
  const github = issuer === GITHUB_ACTIONS_ISSUER || (subject ?? '').startsWith('https://github.com/');
  const who = subject ? `"${subject}"` : 'a workflow identity';
  return {
    ...(issuer !== undefined ? { issuer } : {}),
    ...(subject !== undefined ? { subject } : {}),
    expressible: false,
    explanation:
      `The valid keyless form is "fulcio": {"caPath", "oidcIssuer", "subjectEmail"} with "rekorPublicKeyPath", and "subjectEmail" is mandatory: containers/image matches Fulcio certificates only by their e-mail address. ` +
      `${github ? 'A GitHub Actions certificate carries the workflow URI and no e-mail address' : 'A certificate without an e-mail identity'}, so no policy can require ${who}; nothing on the host can enforce a keyless GitHub identity. ${modes}`,
  };
}
