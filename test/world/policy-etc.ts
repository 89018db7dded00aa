// The world part that gives a scenario its own container signature policy: files from the policy
// corpus (test/support/policy-corpus) written over the stock Fedora ones in the world's etc root.

import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { corpusText } from '../support/policy-corpus/corpus.ts';
import type { World, WorldPart } from './world.ts';

export const POLICY_ETC_PART: WorldPart = {
  name: 'scenario signature policy',
  async start(world: World): Promise<void> {
    for (const [path, source] of Object.entries(world.scenario.etc ?? {})) {
      const target = join(world.etcRoot, path);
      if (relative(world.etcRoot, target).startsWith('..')) throw new Error(`scenario ${world.scenario.name}: ${path} is outside the etc root`);
      const text = 'corpus' in source ? corpusText(source.corpus) : source.text;
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, text.replaceAll('YOUR_USERNAME', 'acme').replaceAll('{registry}', world.registry.host));
    }
  },
};
