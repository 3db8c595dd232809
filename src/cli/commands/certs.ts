// `berth certs create`: makes the CA, server and client certificates that protect a TCP API
// socket (src/daemon/certs.ts does the work) and says how to use them.
import { noArgs, type Command } from '../command.js';
import { createCertificates } from '../../daemon/certs.js';
import { StatusError } from '../status-error.js';

export const certsCreateCommand: Command = {
  name: 'create',
  usage: '[OPTIONS]',
  short: 'Create a CA, a server certificate for berthd and a client certificate',
  args: noArgs,
  flags: [
    { name: 'dir', kind: 'string', help: 'Directory to write ca.pem, ca-key.pem, server-cert.pem, server-key.pem, cert.pem, key.pem' },
    { name: 'hostname', kind: 'list', help: 'DNS name or IP address clients dial, besides localhost, 127.0.0.1, ::1 and this host\'s name' },
    { name: 'days', kind: 'int', help: 'Validity of the server and client certificates in days', default: 825 },
  ],
  async run(ctx, flags) {
    const dir = flags.string('dir');
    if (!dir) throw new StatusError('berth certs create: --dir is required', 125);
    const made = await createCertificates({ dir, hostnames: flags.list('hostname'), days: flags.number('days') || 825 });
    ctx.stdout.write(
      `Created in ${dir}: ca.pem ca-key.pem server-cert.pem server-key.pem cert.pem key.pem\n` +
        `Server certificate names: ${[...made.dnsNames, ...made.ipAddresses].join(', ')}\n\n` +
        `Daemon: berthd -H tcp://0.0.0.0:2376 --tlsverify --tlscacert=${made.files.caCert} --tlscert=${made.files.serverCert} --tlskey=${made.files.serverKey}\n` +
        `Client: DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH=${dir} DOCKER_HOST=tcp://HOST:2376 docker version\n` +
        `Keep ca-key.pem offline once the certificates you need are made: it signs new clients.\n`,
    );
  },
};
