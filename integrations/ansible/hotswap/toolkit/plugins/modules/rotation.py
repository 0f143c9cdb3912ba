#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: hotswap contributors
# SPDX-License-Identifier: MIT OR Apache-2.0

from __future__ import absolute_import, division, print_function
__metaclass__ = type

DOCUMENTATION = r'''
---
module: rotation
short_description: Drain a server out of every load balancer, or health-check it and bring it back
version_added: "0.1.0"
description:
  - Runs C(swapctl --json out|in SERVER) on one or more proxy configs that front the same servers
    (an HA pair of load balancers on one host, or one config per delegated host).
  - V(out) edits every config, reloads each proxy and returns once none of them sends the server
    traffic any more. V(in) health-checks the server first (with O(health)), then brings it back.
  - Idempotent. The module first reads each config with C(upstream-toggle --json list); when the
    server already has the asked state in every config, nothing runs and the task is C(ok).
  - In check mode the module only reports whether something would change.
  - On a failure the task fails with the message and kind of swapctl's C(finished) event and its
    exit code as C(rc); a server taken out stays out.
author:
  - hotswap contributors
options:
  configs:
    description:
      - The proxy config files, one per proxy in front of the same servers.
    type: list
    elements: path
    required: true
  kind:
    description:
      - The proxy kind. Detected from each file when not given.
    type: str
    choices: [nginx, haproxy]
  upstream:
    description:
      - The nginx upstream or haproxy backend (needed when a config has several).
    type: str
  server:
    description:
      - The server, as the configs name it, C(host:port), a haproxy server name, or
        C(UPSTREAM/SERVER).
    type: str
    required: true
  state:
    description:
      - V(out) takes the server out of rotation and waits for the drain, V(in) brings it back.
    type: str
    required: true
    choices: [in, out]
  health:
    description:
      - Health check URL template for O(state=in), for example C(http://{address}/health) or
        C(tcp://{address}). Without it, V(in) does not check.
    type: str
  health_status:
    description:
      - Accepted status codes of the health check, for example C(200-299,301).
    type: str
  health_body:
    description:
      - Text the health check's body must contain.
    type: str
  health_timeout:
    description:
      - Bound on the health wait, for example C(60s) or C(2m).
    type: str
  drain_timeout:
    description:
      - Bound on new workers and on draining, for example C(30s).
    type: str
  reason:
    description:
      - Kept in the config's marker of a server taken out (O(state=out)).
    type: str
  executable:
    description:
      - Path of the C(swapctl) binary. Found on E(PATH) when not given.
    type: path
  toggle_executable:
    description:
      - Path of the C(upstream-toggle) binary that reads the current state. Found next to
        O(executable), then on E(PATH), when not given.
    type: path
notes:
  - Supports check mode.
  - swapctl needs to signal the proxy's master process (or run O(executable)'s configured reload),
    so the task usually runs as root on the load balancer.
seealso:
  - module: hotswap.toolkit.upstream_server
attributes:
  check_mode:
    description: Can run in check mode and return changed status prediction without modifying target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in check mode), when in diff mode.
    support: none
'''

EXAMPLES = r'''
- name: Drain this app server from both load balancers of the HA pair
  hotswap.toolkit.rotation:
    configs:
      - /etc/nginx/lb1.conf
      - /etc/nginx/lb2.conf
    upstream: app
    server: 10.0.0.5:8080
    state: out
    reason: deploy 42

- name: Health-check it and bring it back
  hotswap.toolkit.rotation:
    configs: [/etc/nginx/lb1.conf, /etc/nginx/lb2.conf]
    upstream: app
    server: 10.0.0.5:8080
    state: in
    health: "http://{address}/okcomputer"
    health_status: "200"
    health_timeout: 2m

- name: One task per load balancer host, each with its own config
  hotswap.toolkit.rotation:
    configs: "{{ hostvars[item]['hotswap_configs'] }}"
    server: "{{ app_address }}"
    state: out
  delegate_to: "{{ item }}"
  loop: "{{ groups['lb'] }}"
'''

RETURN = r'''
events:
  description: swapctl's JSON Lines events, in order; the last is the C(finished) event.
  returned: when swapctl ran
  type: list
  elements: dict
  sample:
    - event: step_started
      step: 1
      total: 1
      action: take_out
      servers: [{upstream: app, name: null, address: "10.0.0.11:4040"}]
    - event: step_done
      step: 1
      total: 1
      action: take_out
      millis: 118
    - event: finished
      status: done
      exit_code: 0
before:
  description: The server's state in each config before the task, as C(config -> [states]).
  returned: always
  type: dict
  sample:
    /etc/nginx/lb1.conf: [enabled]
rc:
  description: swapctl's exit code (0 when nothing ran).
  returned: always
  type: int
  sample: 0
kind:
  description: The error kind of the failure (from the C(finished) event's C(error)).
  returned: failure
  type: str
  sample: runtime
error:
  description: The C(error) object of the C(finished) event.
  returned: failure
  type: dict
  sample:
    kind: runtime
    message: health check failed
    exit_code: 1
cmd:
  description: The swapctl command that ran.
  returned: when swapctl ran
  type: list
  elements: str
  sample: [swapctl, -c, /etc/nginx/lb1.conf, --json, out, 10.0.0.5:8080]
stderr:
  description: What swapctl printed on stderr.
  returned: when swapctl ran
  type: str
  sample: ""
'''

import json
import os

from ansible.module_utils.basic import AnsibleModule


def _json_error(out):
    try:
        doc = json.loads(out)
    except ValueError:
        return None
    if isinstance(doc, dict) and isinstance(doc.get('error'), dict):
        return doc['error']
    return None


def _states(module, toggle, config, kind, upstream, server):
    """The states of the server's lines in one config."""
    cmd = [toggle, '--json', '-c', config]
    if kind:
        cmd += ['-k', kind]
    if upstream:
        cmd += ['--upstream', upstream]
    cmd.append('list')
    rc, out, err = module.run_command(cmd)
    if rc != 0:
        error = _json_error(out) or {}
        module.fail_json(
            msg=error.get('message') or err.strip() or 'upstream-toggle list failed',
            rc=error.get('exit_code', rc), kind=error.get('kind'), error=error or None,
            cmd=cmd, stderr=err)
    try:
        servers = json.loads(out)
    except ValueError:
        module.fail_json(msg='upstream-toggle list printed no JSON', cmd=cmd, stdout=out, stderr=err, rc=rc)
    want_up, name = None, server
    if '/' in server and not server.startswith('unix:'):
        want_up, name = server.split('/', 1)
    states = []
    for s in servers:
        if want_up is not None and s.get('upstream') != want_up:
            continue
        # A line a person commented out (no marker) is not a server swapctl takes out or
        # brings back: it never makes the server look out of rotation.
        if s.get('state') == 'disabled' and s.get('method') == 'comment' and not s.get('marked'):
            continue
        if name in (s.get('address'), s.get('name')):
            states.append(s.get('state'))
    return states


def main():
    module = AnsibleModule(
        argument_spec=dict(
            configs=dict(type='list', elements='path', required=True),
            kind=dict(type='str', choices=['nginx', 'haproxy']),
            upstream=dict(type='str'),
            server=dict(type='str', required=True),
            state=dict(type='str', required=True, choices=['in', 'out']),
            health=dict(type='str'),
            health_status=dict(type='str'),
            health_body=dict(type='str'),
            health_timeout=dict(type='str'),
            drain_timeout=dict(type='str'),
            reason=dict(type='str'),
            executable=dict(type='path'),
            toggle_executable=dict(type='path'),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not p['configs']:
        module.fail_json(msg='configs: give at least one proxy config')
    exe = p['executable'] or module.get_bin_path('swapctl', required=True)
    toggle = p['toggle_executable']
    if not toggle:
        sibling = os.path.join(os.path.dirname(exe), 'upstream-toggle')
        if p['executable'] and os.access(sibling, os.X_OK):
            toggle = sibling
        else:
            toggle = module.get_bin_path('upstream-toggle', required=True)

    want = 'disabled' if p['state'] == 'out' else 'enabled'
    before = {}
    for c in p['configs']:
        before[c] = _states(module, toggle, c, p['kind'], p['upstream'], p['server'])
    if not any(before.values()):
        module.fail_json(msg='no server matches %s in %s' % (p['server'], ', '.join(p['configs'])),
                         rc=3, kind='not_found', before=before)
    done = all(st and all(s == want for s in st) for st in before.values())
    if done:
        module.exit_json(changed=False, before=before, rc=0, events=[],
                         msg='%s is already %s rotation in every config'
                         % (p['server'], 'out of' if p['state'] == 'out' else 'in'))
    if module.check_mode:
        module.exit_json(changed=True, before=before, rc=0, events=[],
                         msg='would take %s %s of rotation' % (p['server'], p['state']))

    cmd = [exe]
    for c in p['configs']:
        cmd += ['-c', c]
    if p['kind']:
        cmd += ['-k', p['kind']]
    if p['upstream']:
        cmd += ['--upstream', p['upstream']]
    if p['drain_timeout']:
        cmd += ['--drain-timeout', p['drain_timeout']]
    if p['state'] == 'in':
        for opt in ('health', 'health_status', 'health_body', 'health_timeout'):
            if p[opt]:
                cmd += ['--' + opt.replace('_', '-'), p[opt]]
    cmd += ['--json', p['state']]
    if p['state'] == 'out' and p['reason']:
        cmd += ['--reason', p['reason']]
    cmd.append(p['server'])

    rc, out, err = module.run_command(cmd)
    events = []
    for line in out.splitlines():
        line = line.strip()
        if not line:
            continue
        try:
            events.append(json.loads(line))
        except ValueError:
            events.append(dict(event='unparsed', line=line))
    finished = None
    for e in reversed(events):
        if isinstance(e, dict) and e.get('event') == 'finished':
            finished = e
            break
    if rc != 0:
        error = (finished or {}).get('error') or {}
        module.fail_json(
            msg=error.get('message') or (finished or {}).get('message') or err.strip()
            or 'swapctl failed with exit code %d' % rc,
            rc=rc, kind=error.get('kind'), error=error or None,
            events=events, before=before, cmd=cmd, stderr=err)
    module.exit_json(changed=True, events=events, before=before, rc=rc, cmd=cmd, stderr=err)


if __name__ == '__main__':
    main()
