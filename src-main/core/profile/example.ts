/** The runbook's deployment as a profile: what onboarding offers to start from. */
export const EXAMPLE_PROFILE_YAML = `# Homeserver Tray profile: one file per homeserver.
name: rampancy.cloud
serverName: rampancy.cloud              # users are @localpart:serverName
publicUrl: https://matrix.rampancy.cloud
hosts:
  homeserver: { address: 192.168.1.243, port: 22, user: admin, sudo: true }   # the VM: docker + systemd units
  deploy:     { address: 192.168.1.245, port: 22, user: root }                # the playbook checkout
knownHostsFile: ~/.ssh/known_hosts
units: [matrix-tuwunel, matrix-traefik, matrix-livekit-server, matrix-livekit-jwt-service,
        matrix-static-files, matrix-postgres, matrix-client-element,
        matrix-container-socket-proxy, matrix-exim-relay]
homeserver: { image: ghcr.io/matrix-construct/tuwunel, version: v1.7.0,
              dataDir: /matrix/tuwunel/data, configDir: /matrix/tuwunel/config }
deploy: { host: deploy, dir: /root/matrix-deploy, inventory: inventory/hosts,
          vaultPasswordFile: /root/.vault_pass,
          varsFile: inventory/host_vars/matrix.rampancy.cloud/vars.yml }
vault: { repo: ~/homelab-ansible, file: inventory/group_vars/all/vault.yml,
         key: vault_matrix_registration_token, deployCheckout: /root/homelab-ansible }
# The nightly PBS snapshot of the VM, listed read-only from the deploy host with proxmox-backup-client
# (an API token with the DatastoreAudit role; its secret stays in passwordFile on that host).
checks:
  pbs: { host: deploy, repository: 'backup@pbs!tray@192.168.1.250:nas-primary', group: vm/111,
         passwordFile: /root/.pbs-token, maxAgeHours: 26,
         fingerprint: '64:d3:ff:3a:50:38:53:5a:9b:f7:50:97:ab:11:8e:de:0b:3c:0c:44:f2:47:95:5a:b7:c5:08:a7:e6:b0:7c:66' }
`;
