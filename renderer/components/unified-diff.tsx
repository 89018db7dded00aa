// A unified diff of a policy file, readable: added and removed lines marked by their +/− sign (kept
// in the text, so it reads the same without colour) and by colour, hunk headers set apart.

type LineKind = 'added' | 'removed' | 'hunk' | 'header' | 'context';

function kindOf(line: string): LineKind {
  if (line.startsWith('+++') || line.startsWith('---')) return 'header';
  if (line.startsWith('@@')) return 'hunk';
  if (line.startsWith('+')) return 'added';
  if (line.startsWith('-')) return 'removed';
  return 'context';
}

export function UnifiedDiff({ diff, label }: { readonly diff: string; readonly label: string }) {
  const lines = diff.replace(/\n$/, '').split('\n');
  const added = lines.filter((line) => kindOf(line) === 'added').length;
  const removed = lines.filter((line) => kindOf(line) === 'removed').length;
  return (
    <figure class="diff">
      <figcaption class="small muted">
        {added} {added === 1 ? 'line' : 'lines'} added, {removed} removed
      </figcaption>
      {/* Focusable so keyboard users can scroll long lines sideways. */}
      <pre class="diff-body" tabIndex={0} aria-label={label}>
        {lines.map((line, index) => (
          <span key={index} class={`diff-line diff-${kindOf(line)}`}>
            {line === '' ? ' ' : line}
            {'\n'}
          </span>
        ))}
      </pre>
    </figure>
  );
}
