#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hotswap contributors
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: upstream_server
short_description: Take a server out of or back into an nginx upstream or haproxy backend
version_added: "0.1.0"
description:
  - Runs C(upstream-toggle --json enable|disable) on a proxy config file. The edit is exact,
    validated (C(nginx -t) / C(haproxy -c)), atomic and byte-preserving, so a later reload keeps
    the state.
  - Idempotent. A server already in the asked state reports C(changed=false).
  - In check mode the tool runs with C(--dry-run) and writes nothing.
  - In diff mode the module returns the tool's unified diff as C(diff.prepared).
  - A refusal (for example disabling the last server that serves an upstream) or any other error
    fails the task with the tool's message, its exit code as C(rc) and its error C(kind).
  - The edit does not reload the proxy. Use M(hotswap.toolkit.rotation) to edit, reload and wait
    for the drain in one step.
author:
  - hotswap contributors
options:
  config:
    description:
      - The proxy config file.
      - Defaults to the tool's own default (C(/etc/nginx/nginx.conf), or
        C(/etc/haproxy/haproxy.cfg) with O(kind=haproxy)).
    type: path
  kind:
    description:
      - The proxy kind. Detected from the file when not given.
    type: str
    choices: [nginx, haproxy]
  upstream:
    description:
      - Only this nginx upstream or haproxy backend.
    type: str
  server:
    description:
      - The server, as the config names it, C(host:port), C([v6]:port), C(unix:/path), a haproxy
        server name, or C(UPSTREAM/SERVER).
    type: str
    required: true
  state:
    description:
      - V(disabled) takes the server out of rotation, V(enabled) brings it back.
    type: str
    required: true
    choices: [enabled, disabled]
  method:
    description:
      - How to take the server out. V(comment) comments the line out (nginx default), V(down) uses
        nginx C(down) or haproxy C(disabled).
      - Only used with O(state=disabled).
    type: str
    choices: [comment, down]
  reason:
    description:
      - Recorded in the marker comment of a disabled server.
    type: str
  validate:
    description:
      - Run C(nginx -t) / C(haproxy -c) on the edited config before writing it.
      - V(false) passes C(--no-validate).
    type: bool
    default: true
  executable:
    description:
      - Path of the C(upstream-toggle) binary. Found on E(PATH) when not given.
    type: path
notes:
  - Supports check mode and diff mode.
  - Compared with C(community.general.haproxy), this works on nginx too, edits the file so a
    reload keeps the state, and a server already up or down is idempotent.
seealso:
  - module: hotswap.toolkit.rotation
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: full
'''

EXAMPLES = r'''
- name: Take a server out of the nginx upstream app (written, not reloaded)
  hotswap.toolkit.upstream_server:
    config: /etc/nginx/nginx.conf
    upstream: app
    server: 10.0.0.5:8080
    state: disabled
    reason: "INC-231: leaks memory"

- name: Bring it back
  hotswap.toolkit.upstream_server:
    config: /etc/nginx/nginx.conf
    upstream: app
    server: 10.0.0.5:8080
    state: enabled

- name: Mark a haproxy server disabled, using a binary outside PATH
  hotswap.toolkit.upstream_server:
    config: /etc/haproxy/haproxy.cfg
    kind: haproxy
    server: app/web1
    state: disabled
    method: down
    executable: /opt/hotswap/bin/upstream-toggle
'''

RETURN = r'''
outcomes:
  description:
    - One entry per matching server line, as C(upstream-toggle --json) reports it.
    - C(change) is V(disabled), V(enabled), V(already-disabled) or V(already-enabled).
  returned: success
  type: list
  elements: dict
  sample:
    - file: /etc/nginx/nginx.conf
      line: 12
      upstream: app
      address: 10.0.0.5:8080
      state: enabled
      change: disabled
      new_method: comment
      dry_run: false
dry_run:
  description: Whether the tool ran with C(--dry-run) (check mode).
  returned: success
  type: bool
  sample: false
diff:
  description:
    - In diff mode, C(prepared) holds the tool's unified diff of the edit.
  returned: when diff mode is on and something changes
  type: dict
  sample:
    prepared: "--- a/nginx.conf\n+++ b/nginx.conf\n..."
written:
  description: The files the edit wrote.
  returned: success
  type: list
  elements: str
  sample: [/etc/nginx/nginx.conf]
warnings_tool:
  description: The tool's own warnings (also shown as task warnings).
  returned: success
  type: list
  elements: str
  sample: []
rc:
  description: The tool's exit code.
  returned: always
  type: int
  sample: 4
kind:
  description: The error kind from the tool's JSON error (for example V(refused)).
  returned: failure
  type: str
  sample: refused
error:
  description: The tool's whole JSON error object.
  returned: failure
  type: dict
  sample:
    kind: refused
    message: refusing to leave upstream app with no server that serves
    exit_code: 4
cmd:
  description: The command that ran.
  returned: always
  type: list
  elements: str
  sample: [upstream-toggle, --json, -c, /etc/nginx/nginx.conf, disable, 10.0.0.5:8080]
stderr:
  description: What the tool printed on stderr.
  returned: always
  type: str
  sample: ""
'''

import json

from ansible.module_utils.basic import AnsibleModule


def _run(module, cmd):
    rc, out, err = module.run_command(cmd)
    doc = None
    try:
        doc = json.loads(out) if out.strip() else None
    except ValueError:
        doc = None
    return rc, out, err, doc


def _fail(module, cmd, rc, out, err, doc):
    error = doc.get('error') if isinstance(doc, dict) else None
    if isinstance(error, dict):
        module.fail_json(
            msg=error.get('message', 'upstream-toggle failed'),
            rc=error.get('exit_code', rc),
            kind=error.get('kind'),
            error=error,
            cmd=cmd,
            stderr=err,
        )
    module.fail_json(
        msg=(err.strip() or out.strip() or 'upstream-toggle failed with exit code %d' % rc),
        rc=rc,
        kind=None,
        cmd=cmd,
        stdout=out,
        stderr=err,
    )


def _changes(doc):
    outcomes = doc.get('outcomes') or []
    return any(not str(o.get('change', '')).startswith('already-') for o in outcomes)


def main():
    module = AnsibleModule(
        argument_spec=dict(
            config=dict(type='path'),
            kind=dict(type='str', choices=['nginx', 'haproxy']),
            upstream=dict(type='str'),
            server=dict(type='str', required=True),
            state=dict(type='str', required=True, choices=['enabled', 'disabled']),
            method=dict(type='str', choices=['comment', 'down']),
            reason=dict(type='str'),
            validate=dict(type='bool', default=True),
            executable=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    exe = p['executable'] or module.get_bin_path('upstream-toggle', required=True)

    cmd = [exe, '--json']
    if p['config']:
        cmd += ['-c', p['config']]
    if p['kind']:
        cmd += ['-k', p['kind']]
    if p['upstream']:
        cmd += ['--upstream', p['upstream']]
    cmd.append('disable' if p['state'] == 'disabled' else 'enable')
    if p['state'] == 'disabled':
        if p['method']:
            cmd += ['--method', p['method']]
        if p['reason']:
            cmd += ['--reason', p['reason']]
    if not p['validate']:
        cmd.append('--no-validate')
    cmd.append(p['server'])

    diff_text = None
    if module.check_mode or module._diff:
        dry = cmd[:-1] + ['--dry-run', cmd[-1]]
        rc, out, err, doc = _run(module, dry)
        if rc != 0 or not isinstance(doc, dict) or 'outcomes' not in doc:
            _fail(module, dry, rc, out, err, doc)
        diff_text = doc.get('diff')
        if module.check_mode or not _changes(doc):
            # Nothing to write (check mode, or already in the asked state).
            result = _result(doc, dry, rc, err, _changes(doc))
            if module._diff and diff_text:
                result['diff'] = dict(prepared=diff_text)
            for w in doc.get('warnings') or []:
                module.warn(str(w))
            module.exit_json(**result)

    rc, out, err, doc = _run(module, cmd)
    if rc != 0 or not isinstance(doc, dict) or 'outcomes' not in doc:
        _fail(module, cmd, rc, out, err, doc)
    result = _result(doc, cmd, rc, err, _changes(doc))
    if module._diff and diff_text and result['changed']:
        result['diff'] = dict(prepared=diff_text)
    for w in doc.get('warnings') or []:
        module.warn(str(w))
    module.exit_json(**result)


def _result(doc, cmd, rc, err, changed):
    return dict(
        changed=changed,
        outcomes=doc.get('outcomes') or [],
        dry_run=bool(doc.get('dry_run')),
        written=doc.get('written') or [],
        warnings_tool=doc.get('warnings') or [],
        rc=rc,
        cmd=cmd,
        stderr=err,
    )


if __name__ == '__main__':
    main()
