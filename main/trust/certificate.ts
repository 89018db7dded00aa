// What a Fulcio signing certificate says about who signed: the SAN, the OIDC issuer and the
// GitHub Actions extensions (source repository, workflow, ref, commit) under OID 1.3.6.1.4.1.57264.1.

import { X509Certificate } from '@sigstore/core';

export const FULCIO_OID = {
  issuerV1: '1.3.6.1.4.1.57264.1.1',
  githubWorkflowTrigger: '1.3.6.1.4.1.57264.1.2',
  githubWorkflowSha: '1.3.6.1.4.1.57264.1.3',
  githubWorkflowName: '1.3.6.1.4.1.57264.1.4',
  githubWorkflowRepository: '1.3.6.1.4.1.57264.1.5',
  githubWorkflowRef: '1.3.6.1.4.1.57264.1.6',
  issuer: '1.3.6.1.4.1.57264.1.8',
  buildSignerUri: '1.3.6.1.4.1.57264.1.9',
  buildSignerDigest: '1.3.6.1.4.1.57264.1.10',
  runnerEnvironment: '1.3.6.1.4.1.57264.1.11',
  sourceRepositoryUri: '1.3.6.1.4.1.57264.1.12',
  sourceRepositoryDigest: '1.3.6.1.4.1.57264.1.13',
  sourceRepositoryRef: '1.3.6.1.4.1.57264.1.14',
  sourceRepositoryIdentifier: '1.3.6.1.4.1.57264.1.15',
  sourceRepositoryOwnerUri: '1.3.6.1.4.1.57264.1.16',
  sourceRepositoryOwnerIdentifier: '1.3.6.1.4.1.57264.1.17',
  buildConfigUri: '1.3.6.1.4.1.57264.1.18',
  buildConfigDigest: '1.3.6.1.4.1.57264.1.19',
  buildTrigger: '1.3.6.1.4.1.57264.1.20',
  runInvocationUri: '1.3.6.1.4.1.57264.1.21',
  sourceRepositoryVisibility: '1.3.6.1.4.1.57264.1.22',
} as const;

const EXTENDED_KEY_USAGE = '2.5.29.37';
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** The signer as the certificate describes it; absent fields were not in the certificate. */
export interface CertificateIdentity {
  /** The URI (or email) SAN: for GitHub Actions the workflow, `https://github.com/O/R/.github/workflows/F@REF`. */
  readonly subject?: string;
  readonly issuer?: string;
  readonly sourceRepository?: string;
  readonly sourceRepositoryRef?: string;
  /** The commit the workflow ran on. */
  readonly commit?: string;
  readonly buildSignerUri?: string;
  readonly buildConfigUri?: string;
  readonly buildTrigger?: string;
  readonly runInvocationUri?: string;
  readonly runnerEnvironment?: string;
  readonly workflowName?: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** The named Fulcio extensions as cosign prints them in `optional` (camelCase names). */
  readonly extensions: Readonly<Record<string, string>>;
}

/** A v2 Fulcio extension (…1.8 and up) is a DER UTF8String; v1 ones are the raw bytes. */
function extensionText(cert: X509Certificate, oid: string, der: boolean): string | undefined {
  const ext = cert.extension(oid);
  if (!ext) return undefined;
  const raw = ext.value;
  if (!der) return raw.toString('utf8');
  const inner = ext.valueObj.subs[0];
  if (inner && inner.tag.number === 0x0c) return inner.value.toString('utf8');
  return undefined;
}

export function describeCertificate(cert: X509Certificate): CertificateIdentity {
  const extensions: Record<string, string> = {};
  for (const [name, oid] of Object.entries(FULCIO_OID)) {
    const v2 = Number(oid.split('.').pop()) >= 8;
    const text = extensionText(cert, oid, v2);
    if (text !== undefined) extensions[name === 'issuerV1' ? 'issuer' : name] = text;
  }
  const issuer = extensions.issuer ?? extensionText(cert, FULCIO_OID.issuerV1, false);
  let sourceRepository = extensions.sourceRepositoryUri;
  // Certificates from before Fulcio's v2 extensions name the repository as OWNER/REPO only.
  if (!sourceRepository && extensions.githubWorkflowRepository && issuer === 'https://token.actions.githubusercontent.com') {
    sourceRepository = `https://github.com/${extensions.githubWorkflowRepository}`;
  }
  const pick = (...names: string[]): string | undefined => names.map((n) => extensions[n]).find((v) => v !== undefined);
  const out: Record<string, unknown> = {
    subject: cert.subjectAltName,
    issuer,
    sourceRepository,
    sourceRepositoryRef: pick('sourceRepositoryRef', 'githubWorkflowRef'),
    commit: pick('sourceRepositoryDigest', 'githubWorkflowSha'),
    buildSignerUri: pick('buildSignerUri'),
    buildConfigUri: pick('buildConfigUri'),
    buildTrigger: pick('buildTrigger', 'githubWorkflowTrigger'),
    runInvocationUri: pick('runInvocationUri'),
    runnerEnvironment: pick('runnerEnvironment'),
    workflowName: pick('githubWorkflowName'),
  };
  for (const key of Object.keys(out)) if (out[key] === undefined) delete out[key];
  return { ...(out as Partial<CertificateIdentity>), notBefore: cert.notBefore, notAfter: cert.notAfter, extensions };
}

/** Fulcio certificates are for code signing; a leaf without that purpose is not a signing certificate. */
export function hasCodeSigningUsage(cert: X509Certificate): boolean {
  const ext = cert.extension(EXTENDED_KEY_USAGE);
  if (!ext) return false;
  try {
    return (ext.valueObj.subs[0]?.subs ?? []).some((s) => s.toOID() === CODE_SIGNING);
  } catch {
    return false;
  }
}

/** PEM or DER bytes of one certificate. */
export function parseCertificate(pemOrDer: string | Buffer): X509Certificate {
  return X509Certificate.parse(typeof pemOrDer === 'string' ? pemOrDer : Buffer.from(pemOrDer));
}
