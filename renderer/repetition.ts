// Keeps one screen from saying the same thing twice: main words a reason once per place it may
// appear (headline detail, notice, signature), and a view shows each reason only where it says most.

/** Whether `text` is already said on screen: one of `said` is the same words or a longer statement holding them. */
export function alreadySaid(text: string | undefined, said: readonly (string | undefined)[]): boolean {
  const words = text?.trim();
  if (!words) return false;
  return said.some((statement) => statement !== undefined && statement.includes(words));
}
