"""Takes acl.tokens.initial_management out of a Consul agent configuration file, in place.

Consul reads initial_management only when a server takes leadership, to create that token if the ACL system lacks
it (developer.hashicorp.com/consul/docs/reference/agent/configuration-file/acl, initial_management): once the ACL
system holds it, no file needs it. The file is replaced atomically with the original's owner and mode.
Usage: python3 drop-initial-management.py CONFIG_FILE. Exit status 0 when the token was taken out, 1 when the
file did not hold it.
"""
import json
import os
import sys

path = sys.argv[1]
with open(path) as f:
    config = json.load(f)
tokens = (config.get("acl") or {}).get("tokens") or {}
if "initial_management" not in tokens:
    sys.exit(1)
del tokens["initial_management"]
if not tokens:
    del config["acl"]["tokens"]
status = os.stat(path)
staged = f"{path}.dropping"
with open(staged, "w") as f:
    f.write(json.dumps(config, indent=2) + "\n")
os.chmod(staged, status.st_mode & 0o7777)
try:
    os.chown(staged, status.st_uid, status.st_gid)
except PermissionError:
    pass  # only root may give a file away; the apply scripts run as root, tests do not
os.replace(staged, path)
