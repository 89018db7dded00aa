# The one policy check ostree-ext makes itself before it opens an image for `ostree-image-signed:`:
# is the global default a lone insecureAcceptAnything? Everything else is containers/image's (the proxy).

import json
import os

MAX_POLICY_BYTES = 1024 * 1024
INSECURE_DEFAULT = ('Preparing import: Fetching manifest: containers-policy.json specifies a default of '
                    '`insecureAcceptAnything`; refusing usage')


def default_is_insecure(etc_root):
    """ostree-ext's best-effort reading: a file it cannot read or parse is left to the proxy to refuse."""
    try:
        with open(os.path.join(etc_root, 'containers', 'policy.json'), 'rb') as handle:
            policy = json.loads(handle.read(MAX_POLICY_BYTES))
    except (OSError, ValueError):
        return False
    default = policy.get('default') if isinstance(policy, dict) else None
    return (isinstance(default, list) and len(default) == 1 and isinstance(default[0], dict)
            and default[0].get('type') == 'insecureAcceptAnything')
