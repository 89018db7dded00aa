// What ties a cosign 3 signature's digest to the repository it was found in: the statement's subject
// name when it has one, else the image's own config labels (covered by the signed manifest digest).

import { quoted } from '../shared/display-text.ts';
import { parseDockerReference, repositoryName, type DockerReference, type Sha256Digest } from '../shared/image-reference.ts';
import { TrustError } from './errors.ts';
import type { ImageSource } from './image-source.ts';
import { parseJsonObject } from './manifests.ts';
import type { RepositoryBinding } from './result.ts';

export const LABELS = {
  title: 'org.opencontainers.image.title',
  source: 'org.opencontainers.image.source',
  version: 'org.opencontainers.image.version',
} as const;

const MAX_CONFIG_BYTES = 1024 * 1024;
const MAX_LABEL_CHARS = 256;

export interface BindingQuestion {
  /** Where the image itself lives (its manifests and config). */
  readonly source: ImageSource;
  /** The signed digest: an index or a single manifest. */
  readonly digest: Sha256Digest;
  /** The platform manifest the index links to, for this host or as rpm-ostree recorded it. */
  readonly platformDigest?: Sha256Digest;
  /** The repository the image was asked for; undefined for an OCI layout without --reference. */
  readonly intended?: DockerReference;
  /** The GitHub repository the signing certificate says built it. */
  readonly signerRepository?: string;
  /** The name the signed in-toto statement gives this digest, if any. */
  readonly statementName?: string;
}

export type BindingAnswer =
  | { readonly ok: true; readonly binding: RepositoryBinding }
  | { readonly ok: false; readonly code: 'repository-mismatch'; readonly reason: string };

/** The last path component of a repository (`vespera-nvidia`), as titles name images. */
function imageName(ref: DockerReference): string {
  return ref.repository.split('/').pop() ?? ref.repository;
}

/** Titles are written for people: `Vespera NVIDIA` names `vespera-nvidia`. */
function normalisedName(text: string): string {
  return text.trim().toLowerCase().replace(/[\s_]+/g, '-');
}

function normalisedUrl(text: string): string {
  return text.trim().toLowerCase().replace(/\/+$/, '').replace(/\.git$/, '');
}

/**
 * Whether what the signature covers names `question.intended`. A statement name or labels naming
 * another image are evidence of a swap; nothing naming any image is `none`, never a made-up name.
 */
export async function bindToRepository(question: BindingQuestion): Promise<BindingAnswer> {
  const intended = question.intended;
  if (!intended) return { ok: true, binding: { kind: 'none', reason: 'no repository was named to compare with (give --reference)' } };
  const wanted = repositoryName(intended);
  if (question.statementName !== undefined) {
    let named: string | undefined;
    try {
      named = repositoryName(parseDockerReference(question.statementName));
    } catch {
      named = undefined;
    }
    if (named !== wanted) {
      return { ok: false, code: 'repository-mismatch', reason: `the signed statement names it ${quoted(question.statementName)}, not ${wanted}` };
    }
    return { ok: true, binding: { kind: 'statement-name', name: question.statementName } };
  }
  const labels = await signedLabels(question);
  if (labels.problem !== undefined) return { ok: true, binding: { kind: 'none', reason: labels.problem } };
  const { title, source, version } = labels;
  if (title === undefined) {
    return { ok: true, binding: { kind: 'none', reason: `its signature names no repository and the image has no ${LABELS.title} label, so nothing says it belongs to ${wanted}` } };
  }
  if (normalisedName(title) !== normalisedName(imageName(intended))) {
    const what = [version ? `version ${quoted(version)}` : '', source ? `built from ${quoted(source)}` : ''].filter(Boolean).join(', ');
    return { ok: false, code: 'repository-mismatch', reason: `its own signed labels say it is ${quoted(title)}${what ? ` (${what})` : ''}, not ${imageName(intended)}` };
  }
  if (source !== undefined && question.signerRepository !== undefined && normalisedUrl(source) !== normalisedUrl(question.signerRepository)) {
    return { ok: false, code: 'repository-mismatch', reason: `its signed labels say it was built from ${quoted(source)}, but ${question.signerRepository} signed it` };
  }
  return { ok: true, binding: { kind: 'labels', title, ...(source !== undefined ? { source } : {}), ...(version !== undefined ? { version } : {}) } };
}

type Labels = { readonly problem?: undefined; readonly title?: string; readonly source?: string; readonly version?: string } | { readonly problem: string };

/** The labels of the config the signed digest reaches (through the index, for multi-platform images). */
async function signedLabels(question: BindingQuestion): Promise<Labels> {
  const { source } = question;
  const top = await source.manifest(question.digest);
  if (!top) return { problem: `the signed manifest ${question.digest} cannot be read back` };
  let manifest = top.manifest;
  if (manifest.kind === 'index') {
    const platform = question.platformDigest;
    if (!platform || !manifest.manifests.some((d) => d.digest === platform)) {
      return { problem: 'the signed index lists no image for this computer, so no labels could be read' };
    }
    const fetched = await source.manifest(platform);
    if (!fetched || fetched.manifest.kind !== 'manifest') return { problem: `the platform manifest ${platform} cannot be read` };
    manifest = fetched.manifest;
  }
  const bytes = await source.blob(manifest.config.digest, MAX_CONFIG_BYTES, manifest.config.size);
  const config = parseJsonObject(bytes, `the image configuration ${manifest.config.digest}`).config;
  const raw = typeof config === 'object' && config !== null ? (config as { Labels?: unknown }).Labels : undefined;
  if (raw !== undefined && raw !== null && (typeof raw !== 'object' || Array.isArray(raw))) {
    throw new TrustError('unsupported-format', `the image configuration ${manifest.config.digest} has labels that are not a mapping.`);
  }
  const all = (raw ?? {}) as Record<string, unknown>;
  const label = (key: string): string | undefined => {
    const value = all[key];
    return typeof value === 'string' && value.trim() !== '' ? value.slice(0, MAX_LABEL_CHARS) : undefined;
  };
  const title = label(LABELS.title);
  const sourceUrl = label(LABELS.source);
  const version = label(LABELS.version);
  return { ...(title !== undefined ? { title } : {}), ...(sourceUrl !== undefined ? { source: sourceUrl } : {}), ...(version !== undefined ? { version } : {}) };
}
