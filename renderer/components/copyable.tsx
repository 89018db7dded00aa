// Text people need to paste elsewhere — digests, commands — shown in full-width monospace with a
// Copy button. Where the clipboard is refused, the text is selected so Ctrl+C still works.

import { useEffect, useRef, useState } from 'preact/hooks';
import { shortDigest } from '../format.ts';
import { Icon } from './icons.tsx';

type CopyState = 'idle' | 'copied' | 'selected';

function CopyButton({ text, label, target }: { readonly text: string; readonly label: string; readonly target: { readonly current: HTMLElement | null } }) {
  const [state, setState] = useState<CopyState>('idle');
  useEffect(() => {
    if (state === 'idle') return undefined;
    const timer = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy(): Promise<void> {
    try {
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      // The window may not be allowed the clipboard; selecting the text leaves Ctrl+C to the user.
      const element = target.current;
      const selection = window.getSelection();
      if (element && selection) {
        const range = document.createRange();
        range.selectNodeContents(element);
        selection.removeAllRanges();
        selection.addRange(range);
      }
      setState('selected');
    }
  }

  return (
    <>
      <button type="button" class="button small quiet" onClick={() => void copy()} aria-label={label}>
        <Icon name="copy" />
        <span aria-hidden="true">Copy</span>
      </button>
      <span class="copy-state small" role="status">
        {state === 'copied' ? 'Copied' : state === 'selected' ? 'Selected: press Ctrl+C to copy' : ''}
      </span>
    </>
  );
}

/** A digest, short by default (the full one is copied); `full` shows all of it, wrapped. */
export function Digest({ digest, full = false }: { readonly digest: string; readonly full?: boolean }) {
  const text = useRef<HTMLElement>(null);
  return (
    <span class="copyable">
      <code class="mono digest" ref={text}>
        {full ? digest : shortDigest(digest)}
      </code>
      <CopyButton text={digest} label={`Copy the digest ${shortDigest(digest)}`} target={text} />
    </span>
  );
}

/** A shell command to run, exactly as it must be typed. */
export function CommandLine({ command }: { readonly command: string }) {
  const text = useRef<HTMLElement>(null);
  return (
    <div class="command-line">
      <code class="mono" ref={text}>
        {command}
      </code>
      <CopyButton text={command} label={`Copy the command: ${command}`} target={text} />
    </div>
  );
}
