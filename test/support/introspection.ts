// D-Bus introspection XML reduced to what conformance compares: each interface's methods (in and out
// signatures), properties (type and access) and signals (argument signature). Enough for well-formed
// introspection data; not a general XML parser.

export interface InterfaceShape {
  readonly methods: Map<string, { readonly in: string; readonly out: string }>;
  readonly properties: Map<string, { readonly type: string; readonly access: string }>;
  readonly signals: Map<string, string>;
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

function args(body: string, direction: 'in' | 'out', defaultDirection: 'in' | 'out'): string {
  return [...body.matchAll(/<arg\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((tag) => (attr(tag, 'direction') ?? defaultDirection) === direction)
    .map((tag) => attr(tag, 'type') ?? '')
    .join('');
}

/** Element bodies by name: `<name …/>` gives an empty body, `<name …>…</name>` its content. */
function elements(xml: string, name: string): Array<{ tag: string; body: string }> {
  const out: Array<{ tag: string; body: string }> = [];
  const re = new RegExp(`<${name}\\b[^>]*?(/?)>`, 'g');
  let match: RegExpExecArray | null;
  while ((match = re.exec(xml))) {
    if (match[1] === '/') {
      out.push({ tag: match[0], body: '' });
      continue;
    }
    const end = xml.indexOf(`</${name}>`, re.lastIndex);
    out.push({ tag: match[0], body: xml.slice(re.lastIndex, end) });
    re.lastIndex = end;
  }
  return out;
}

export function parseIntrospection(xml: string): Map<string, InterfaceShape> {
  const withoutComments = xml.replace(/<!--[\s\S]*?-->/g, '');
  const interfaces = new Map<string, InterfaceShape>();
  for (const iface of elements(withoutComments, 'interface')) {
    const shape: InterfaceShape = { methods: new Map(), properties: new Map(), signals: new Map() };
    for (const method of elements(iface.body, 'method')) {
      shape.methods.set(attr(method.tag, 'name') ?? '', { in: args(method.body, 'in', 'in'), out: args(method.body, 'out', 'in') });
    }
    for (const property of [...iface.body.matchAll(/<property\b[^>]*>/g)].map((m) => m[0])) {
      shape.properties.set(attr(property, 'name') ?? '', { type: attr(property, 'type') ?? '', access: attr(property, 'access') ?? '' });
    }
    for (const signal of elements(iface.body, 'signal')) {
      shape.signals.set(attr(signal.tag, 'name') ?? '', args(signal.body, 'out', 'out'));
    }
    interfaces.set(attr(iface.tag, 'name') ?? '', shape);
  }
  return interfaces;
}
