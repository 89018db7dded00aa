# containers-policy.json and registries.d as containers/image applies them to a pull, read from the
# world's etc root; failures carry containers/image's own wording. Signatures are looked for, not verified.

import json
import os

REQUIREMENT_KEYS = {
    'insecureAcceptAnything': {'type'},
    'reject': {'type'},
    'signedBy': {'type', 'keyType', 'keyPath', 'keyPaths', 'keyData', 'signedIdentity'},
    'sigstoreSigned': {'type', 'keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki',
                       'rekorPublicKeyPath', 'rekorPublicKeyPaths', 'rekorPublicKeyData',
                       'rekorPublicKeyDatas', 'signedIdentity'},
}
FULCIO_KEYS = {'caPath', 'caData', 'oidcIssuer', 'subjectEmail'}
NO_SIGNATURE = 'A signature was required, but no signature exists'
SIMPLESIGNING = 'application/vnd.dev.cosign.simplesigning.v1+json'


class PolicyError(Exception):
    """The pull is refused; the message is the one containers/image gives."""


def policy_path(etc_root):
    return os.path.join(etc_root, 'containers', 'policy.json')


def load_policy(etc_root):
    """Parses policy.json as strictly as containers/image: one unknown key invalidates the file."""
    path = policy_path(etc_root)
    try:
        with open(path, 'rb') as handle:
            text = handle.read(1024 * 1024)
    except FileNotFoundError:
        raise PolicyError(f'open {path}: no such file or directory') from None
    try:
        policy = json.loads(text)
    except ValueError as error:
        raise PolicyError(f'invalid policy in "{path}": {error}') from None
    try:
        check_policy(policy)
    except ValueError as error:
        raise PolicyError(f'invalid policy in "{path}": {error}') from None
    return policy


def check_policy(policy):
    if not isinstance(policy, dict):
        raise ValueError('policy is not a JSON object')
    for key in policy:
        if key not in ('default', 'transports'):
            raise ValueError(f'Unknown key "{key}"')
    if 'default' not in policy:
        raise ValueError('Policy "default" field is missing')
    check_requirements(policy['default'])
    transports = policy.get('transports') or {}
    if not isinstance(transports, dict):
        raise ValueError('"transports" is not an object')
    for scopes in transports.values():
        if not isinstance(scopes, dict):
            raise ValueError('a transport entry is not an object')
        for requirements in scopes.values():
            check_requirements(requirements)


def check_requirements(requirements):
    if not isinstance(requirements, list) or not requirements:
        raise ValueError('Policy requirement list is empty or not a list')
    for requirement in requirements:
        if not isinstance(requirement, dict):
            raise ValueError('a policy requirement is not an object')
        kind = requirement.get('type')
        if kind not in REQUIREMENT_KEYS:
            raise ValueError(f'Unknown policy requirement type "{kind}"')
        for key in requirement:
            if key not in REQUIREMENT_KEYS[kind]:
                raise ValueError(f'Unknown key "{key}"')
        if kind == 'sigstoreSigned':
            sources = [k for k in ('keyPath', 'keyPaths', 'keyData', 'keyDatas', 'fulcio', 'pki') if k in requirement]
            if len(sources) != 1:
                raise ValueError('exactly one of keyPath, keyPaths, keyData, keyDatas, fulcio and pki must be specified')
            fulcio = requirement.get('fulcio')
            if fulcio is not None:
                if not isinstance(fulcio, dict) or any(k not in FULCIO_KEYS for k in fulcio):
                    raise ValueError('Unknown key in "fulcio"')
                if not fulcio.get('oidcIssuer') or not fulcio.get('subjectEmail'):
                    raise ValueError('oidcIssuer and subjectEmail must be specified')


def default_is_insecure(policy):
    """ostree-ext's best-effort check for `ostree-image-signed:`: the default alone accepts anything."""
    default = policy.get('default') or []
    return len(default) == 1 and default[0].get('type') == 'insecureAcceptAnything'


def scopes_for(ref):
    """The docker transport's scopes for an image, most specific first (without the "" default)."""
    identity = str(ref)
    scopes = [identity]
    name = ref.name
    while True:
        scopes.append(name)
        if '/' not in name:
            break
        name = name.rsplit('/', 1)[0]
    host = ref.host.split(':')[0]
    parts = host.split('.')
    for i in range(1, len(parts)):
        scopes.append('*.' + '.'.join(parts[i:]))
    return scopes


def requirements_for(policy, ref):
    docker = (policy.get('transports') or {}).get('docker') or {}
    for scope in scopes_for(ref):
        if scope in docker:
            return docker[scope]
    if '' in docker:
        return docker['']
    return policy['default']


def resolve_etc_path(etc_root, path):
    """Policy files name /etc/… paths; in the world those live under its etc root."""
    if path.startswith('/etc/'):
        return os.path.join(etc_root, path[len('/etc/'):])
    return path


def evaluate(etc_root, policy, ref, top_digest, signature_layers, forced_failure=False):
    """Raises PolicyError when containers/image would refuse to open the image."""
    for requirement in requirements_for(policy, ref):
        kind = requirement['type']
        if kind == 'insecureAcceptAnything':
            continue
        if kind == 'reject':
            raise PolicyError(f'Running image docker://{ref} is rejected by policy.')
        if kind == 'signedBy':
            # GPG signatures come from a lookaside store the world never has.
            raise PolicyError(NO_SIGNATURE)
        for key_path in key_paths(requirement):
            resolved = resolve_etc_path(etc_root, key_path)
            if not os.path.exists(resolved):
                raise PolicyError(f'open {key_path}: no such file or directory')
        if not sigstore_attachments_enabled(etc_root, ref):
            raise PolicyError(NO_SIGNATURE)
        layers = signature_layers(ref, top_digest)
        if not layers or SIMPLESIGNING not in layers:
            raise PolicyError(NO_SIGNATURE)
        if forced_failure:
            raise PolicyError('Source image rejected: cryptographic signature verification failed: '
                              'invalid signature when validating ASN.1 encoded signature')


def key_paths(requirement):
    if 'keyPath' in requirement:
        return [requirement['keyPath']]
    return list(requirement.get('keyPaths') or [])


def sigstore_attachments_enabled(etc_root, ref):
    """registries.d: the most precise scope for the image decides `use-sigstore-attachments`."""
    directory = os.path.join(etc_root, 'containers', 'registries.d')
    docker = {}
    default = {}
    try:
        names = sorted(n for n in os.listdir(directory) if n.endswith('.yaml'))
    except FileNotFoundError:
        names = []
    for name in names:
        path = os.path.join(directory, name)
        with open(path, 'rb') as handle:
            text = handle.read(256 * 1024).decode('utf-8', 'replace')
        try:
            parsed = parse_yaml_subset(text)
        except ValueError as error:
            raise PolicyError(f'parsing signature storage configuration in {path}: {error}') from None
        if parsed.get('default-docker'):
            default = parsed['default-docker']
        for scope, settings in (parsed.get('docker') or {}).items():
            if scope in docker:
                raise PolicyError(f'Error parsing signature storage configuration: "docker" namespace '
                                  f'"{scope}" defined both in {docker[scope][0]} and {path}')
            docker[scope] = (path, settings or {})
    for scope in [str(ref)] + scopes_for(ref)[1:]:
        if scope in docker:
            return docker[scope][1].get('use-sigstore-attachments') is True
    return (default or {}).get('use-sigstore-attachments') is True


def parse_yaml_subset(text):
    """The YAML registries.d files use: nested mappings of plain or quoted scalars, and comments."""
    root = {}
    stack = [(-1, root)]
    for raw in text.splitlines():
        line = strip_comment(raw).rstrip()
        if not line.strip() or line.strip() == '---':
            continue
        indent = len(line) - len(line.lstrip(' '))
        if '\t' in line[:indent + 1]:
            raise ValueError('tabs are not allowed for indentation')
        content = line.strip()
        if content.startswith('- '):
            raise ValueError('sequences are not supported here')
        key, value = split_key(content)
        while stack and indent <= stack[-1][0]:
            stack.pop()
        parent = stack[-1][1]
        if not isinstance(parent, dict):
            raise ValueError(f'"{key}" is nested under a value')
        if value == '':
            child = {}
            parent[key] = child
            stack.append((indent, child))
        else:
            parent[key] = scalar(value)
            stack.append((indent, None))
    return {k: (v if v != {} else None) for k, v in root.items()}


def split_key(content):
    """`key: value` or `key:`; a plain key may hold ':' (a registry host with a port) but not ': '."""
    if content[0] in '"\'':
        end = content.find(content[0], 1)
        if end == -1 or not content[end + 1:].startswith(':'):
            raise ValueError(f'unterminated quoted key in "{content}"')
        return content[1:end], content[end + 2:].strip()
    index = content.find(': ')
    if index != -1:
        return content[:index].strip(), content[index + 2:].strip()
    if content.endswith(':'):
        return content[:-1].strip(), ''
    raise ValueError(f'expected "key: value", found "{content}"')


def strip_comment(line):
    quote = None
    for i, char in enumerate(line):
        if quote:
            if char == quote:
                quote = None
        elif char in '"\'':
            quote = char
        elif char == '#' and (i == 0 or line[i - 1] in ' \t'):
            return line[:i]
    return line


def unquote(text):
    if len(text) >= 2 and text[0] == text[-1] and text[0] in '"\'':
        return text[1:-1]
    return text


def scalar(text):
    if text in ('true', 'True', 'TRUE'):
        return True
    if text in ('false', 'False', 'FALSE'):
        return False
    if text in ('null', '~'):
        return None
    return unquote(text)
