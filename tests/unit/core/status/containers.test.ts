import { describe, expect, it } from 'vitest';
import {
  containerFindings,
  containersCommand,
  imageFinding,
  parseDockerPs,
  parseDockerStatus,
  splitImageRef,
} from '../../../../src-main/core/status/checks/containers';

/** `docker ps -a --filter name=matrix- --format '{{json .}}'` as docker CLI 28 prints it (keys sorted, one object a line). */
function row(name: string, image: string, state: string, status: string): string {
  return JSON.stringify({
    Command: '"/usr/bin/tuwunel"',
    CreatedAt: '2026-05-21 16:37:40 +0000 UTC',
    ID: '3f2a1b4c5d6e',
    Image: image,
    Labels: '',
    LocalVolumes: '0',
    Mounts: '/matrix/tuwunel/data,/matrix/tuwunel/config',
    Names: name,
    Networks: 'matrix',
    Ports: '',
    RunningFor: '5 days ago',
    Size: '0B',
    State: state,
    Status: status,
  });
}

const PS = [
  row('matrix-tuwunel', 'ghcr.io/matrix-construct/tuwunel:v1.7.0', 'running', 'Up 3 hours'),
  row('matrix-traefik', 'docker.io/traefik:v3.5.3', 'running', 'Up 2 minutes (healthy)'),
  row('matrix-postgres', 'docker.io/postgres:18.0-alpine', 'exited', 'Exited (137) 5 minutes ago'),
  row(
    'matrix-livekit-server',
    'docker.io/livekit/livekit-server:v1.9.1',
    'restarting',
    'Restarting (1) 4 seconds ago',
  ),
  row(
    'matrix-static-files',
    'docker.io/joseluisq/static-web-server:2.38.1-alpine',
    'running',
    'Up 10 seconds (health: starting)',
  ),
  row('matrix-client-element', 'ghcr.io/element-hq/element-web:v1.12.2', 'running', 'Up 2 days (unhealthy)'),
  row('matrix-exim-relay', 'ghcr.io/devture/exim-relay:4.98.2-r0-0', 'paused', 'Up 2 hours (Paused)'),
  row('matrix-container-socket-proxy', 'ghcr.io/tecnativa/docker-socket-proxy:v0.4.1', 'created', 'Created'),
  // A real docker prints a warning line before the rows sometimes; it must be skipped.
  'WARNING: Error loading config file: /root/.docker/config.json: permission denied',
].join('\n');

describe('docker ps parsing', () => {
  it('reads the docker 28 JSON rows and skips other lines', () => {
    const rows = parseDockerPs(PS);
    expect(rows).toHaveLength(8);
    expect(rows[0]).toEqual({
      names: ['matrix-tuwunel'],
      image: 'ghcr.io/matrix-construct/tuwunel:v1.7.0',
      state: 'running',
      status: 'Up 3 hours',
    });
  });

  it('reads moby’s status texts', () => {
    expect(parseDockerStatus('Up 3 hours')).toEqual({ kind: 'up', uptime: '3 hours', paused: false });
    expect(parseDockerStatus('Up Less than a second')).toEqual({
      kind: 'up',
      uptime: 'Less than a second',
      paused: false,
    });
    expect(parseDockerStatus('Up 2 minutes (healthy)')).toEqual({
      kind: 'up',
      uptime: '2 minutes',
      paused: false,
      health: 'healthy',
    });
    expect(parseDockerStatus('Up 10 seconds (health: starting)')).toMatchObject({ health: 'starting' });
    expect(parseDockerStatus('Up About an hour (Paused)')).toEqual({
      kind: 'up',
      uptime: 'About an hour',
      paused: true,
    });
    expect(parseDockerStatus('Exited (137) 5 minutes ago')).toEqual({
      kind: 'exited',
      exitCode: 137,
      ago: '5 minutes',
    });
    expect(parseDockerStatus('Restarting (1) 4 seconds ago')).toEqual({
      kind: 'restarting',
      exitCode: 1,
      ago: '4 seconds',
    });
    expect(parseDockerStatus('Created')).toEqual({ kind: 'created' });
    expect(parseDockerStatus('Dead')).toEqual({ kind: 'dead' });
    expect(parseDockerStatus('Removal In Progress')).toEqual({ kind: 'removing' });
    expect(parseDockerStatus('')).toEqual({ kind: 'other' });
  });

  it('quotes the filter into the command', () => {
    expect(containersCommand()).toBe(`docker ps -a --filter name=matrix- --format '{{json .}}'`);
  });
});

describe('container findings', () => {
  const units = [
    'matrix-tuwunel',
    'matrix-traefik',
    'matrix-postgres',
    'matrix-livekit-server',
    'matrix-static-files',
    'matrix-client-element',
    'matrix-exim-relay',
    'matrix-container-socket-proxy',
    'matrix-livekit-jwt-service',
  ];
  const findings = containerFindings(units, PS);
  const by = (u: string) => findings.find((f) => f.id === `container:${u}`)!;

  it('is ok for running containers, healthy or without a health check', () => {
    expect(by('matrix-tuwunel')).toMatchObject({ level: 'ok', detail: 'matrix-tuwunel is up 3 hours.' });
    expect(by('matrix-traefik')).toMatchObject({
      level: 'ok',
      detail: 'matrix-traefik is up 2 minutes (healthy).',
    });
  });

  it('explains exit codes and crash loops', () => {
    expect(by('matrix-postgres')).toMatchObject({ level: 'fail' });
    expect(by('matrix-postgres').detail).toBe(
      'matrix-postgres exited with code 137 (killed: out of memory or docker kill) 5 minutes ago; read `docker logs matrix-postgres`, then start matrix-postgres.',
    );
    expect(by('matrix-livekit-server').detail).toMatch(
      /restarting in a loop \(last exit code 1, 4 seconds ago\)/,
    );
    expect(by('matrix-livekit-server').level).toBe('fail');
  });

  it('grades health checks, pauses and never-started containers', () => {
    expect(by('matrix-static-files').level).toBe('warn');
    expect(by('matrix-client-element').level).toBe('fail');
    expect(by('matrix-exim-relay').level).toBe('warn');
    expect(by('matrix-container-socket-proxy').level).toBe('fail');
  });

  it('fails a unit without a container', () => {
    expect(by('matrix-livekit-jwt-service')).toMatchObject({
      level: 'fail',
      units: ['matrix-livekit-jwt-service'],
    });
    expect(by('matrix-livekit-jwt-service').detail).toMatch(
      /^There is no matrix-livekit-jwt-service container/,
    );
  });
});

describe('Tuwunel image vs the pin', () => {
  const pin = { image: 'ghcr.io/matrix-construct/tuwunel', version: 'v1.7.0' };

  it('splits image references', () => {
    expect(splitImageRef('ghcr.io/matrix-construct/tuwunel:v1.7.0')).toEqual({
      repository: 'ghcr.io/matrix-construct/tuwunel',
      tag: 'v1.7.0',
    });
    expect(splitImageRef('localhost:5000/tuwunel')).toEqual({ repository: 'localhost:5000/tuwunel' });
    expect(splitImageRef('ghcr.io/x/tuwunel@sha256:abcd')).toEqual({ repository: 'ghcr.io/x/tuwunel' });
  });

  it('is ok on the pin, with or without the v', () => {
    expect(imageFinding(PS, pin).level).toBe('ok');
    expect(imageFinding(PS, { ...pin, version: '1.7.0' }).level).toBe('ok');
  });

  it('warns on another tag or another image', () => {
    const drift = imageFinding(PS, { ...pin, version: 'v1.8.0' });
    expect(drift.level).toBe('warn');
    expect(drift.detail).toBe(
      'matrix-tuwunel runs v1.7.0 but the profile pins v1.8.0; update the pin in the profile (homeserver.version) if the upgrade was meant, or apply the config to go back.',
    );
    expect(imageFinding(PS, { ...pin, image: 'ghcr.io/girlbossceo/conduwuit' }).level).toBe('warn');
  });

  it('is unknown without a container or a tag', () => {
    expect(imageFinding('', pin).level).toBe('unknown');
    const digest = row(
      'matrix-tuwunel',
      'ghcr.io/matrix-construct/tuwunel@sha256:0123',
      'running',
      'Up 1 second',
    );
    expect(imageFinding(digest, pin).level).toBe('unknown');
  });
});
