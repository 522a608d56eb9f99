// The starter tend.yaml `tend init` writes: one service that runs as it is, and the keys most
// configs need next, commented, each with a line saying what it does.

/** The text of a new tend.yaml. */
export const STARTER = `# tend.yaml: the services tend runs.
#   tend up       starts them in the foreground (Ctrl-C stops them)
#   tend status   shows them (from another terminal)
#   tend check    validates this file
# Every key, its default and what a reload does with it: tend's docs/config.md.

settings:
  # socket: .tend/tend.sock         # where \`tend status\` and the others find tend
  # log_dir: .tend/logs             # one log file per service
  # shutdown_timeout: 30s           # how long stopping everything may take

services:
  # a service is a name (a-z, 0-9, _ and -) and a command
  hello:
    command: while true; do echo "hello from tend"; sleep 5; done   # a string runs under /bin/sh -c
    # restart: on-failure           # always | on-failure (the default) | never
    # env: { GREETING: hi }         # added to its environment
    # env_file: .env                # KEY=VALUE lines

  # web:
  #   command: [python3, -m, http.server, "8000"]   # a list is exec'd directly, no shell
  #   cwd: ./public                                 # relative to this file's folder
  #   readiness: { tcp: 127.0.0.1:8000 }            # running (ready) once the port answers
  #   depends_on: { hello: started }                # started | healthy (ready) | completed (a oneshot)
  #   replicas: 2                                   # web.1 and web.2

  # migrate:
  #   command: ./migrate.sh
  #   type: oneshot                                 # expected to exit; 0 means completed
`;
