#!/usr/bin/python3
# What the host's container stack says about images, for tests that hold the app's predictions to it:
# ostree-ext's default-policy check and the real proxy's OpenImage, with the stand-in's own code.

import json
import os
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from images import ContainerImages, DockerReference, PullError  # noqa: E402
from policy import default_is_insecure  # noqa: E402


def main():
    """stdin: {"skopeo", "etcRoot", "runDir", "registries": [host], "references": [name]}; stdout: the answers."""
    request = json.loads(sys.stdin.read(1024 * 1024))
    images = ContainerImages(request['skopeo'], request['etcRoot'], request['runDir'], request['registries'])
    try:
        answers = images.try_open([DockerReference(r) for r in request['references']])
    except PullError as error:
        print(json.dumps({'error': str(error)}))
        return 1
    print(json.dumps({
        'insecureDefault': default_is_insecure(request['etcRoot']),
        'images': [{'reference': str(ref), 'refusal': refusal} for ref, refusal in answers],
    }))
    return 0


if __name__ == '__main__':
    sys.exit(main())
