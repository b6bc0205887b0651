import type {
  ContainerDefinition,
  ContainerOverride,
  HealthCheck,
  KeyValuePair,
  LinuxParameters,
  RegisterTaskDefinitionCommandInput,
  RunTaskCommandInput,
  Volume
} from '@aws-sdk/client-ecs'
import type {
  ContainerDefinitionKeys,
  Definition,
  SchedulerDefinition,
  VolumeDefinition
} from './schema.js'
import { compact, setKey } from '../util/objects.js'

/** The docker label hako adds to every container it registers. */
export const HAKO_VERSION_LABEL = 'cc.wanko.hako.version'

/**
 * The value this action writes in the `cc.wanko.hako.version` label: the hako release whose
 * semantics it follows (docs/hako.md is taken from hako v2.18.0). hako compares labels when
 * deciding whether to register, so a revision registered by `hako oneshot` 2.18.0 and one
 * rendered here compare equal.
 */
export const HAKO_COMPAT_VERSION = '2.18.0'

/** The tag of the app image when neither the `tag` input nor `app.tag` gives one. */
export const DEFAULT_APP_TAG = 'latest'

/** The family of the oneshot task definition: `<appId>-oneshot`. */
export function oneshotFamily(appId: string): string {
  return `${appId}-oneshot`
}

/** The app image: `app.image` + `:` + (the `tag` input, else `app.tag`, else `latest`). */
export function appImage(app: Definition['app'], tag: string | undefined): string {
  const chosen = tag ?? (app.tag === undefined ? undefined : String(app.tag)) ?? DEFAULT_APP_TAG
  return `${app.image}:${chosen}`
}

/** Copies a user-data map (labels, options) keeping every key verbatim, prototype-safe. */
function userMap(map: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(map)) setKey(out, key, value)
  return out
}

/** One container of the task, ready to render. */
export interface ContainerToRender {
  name: string
  image: string
  keys: ContainerDefinitionKeys
  /** The expanded env, in the order written. */
  env: Map<string, string>
}

/**
 * Renders one ContainerDefinition the way hako's `create_definition` does: snake_case keys to
 * camelCase, user-data keys verbatim, and hako's defaults (cpu 0, essential true, links [],
 * port protocol tcp, read_only false, privileged false, health check 30/3/5, the version label).
 */
export function renderContainer(container: ContainerToRender): ContainerDefinition {
  const c = container.keys
  const environment: KeyValuePair[] = [...container.env].map(([name, value]) => ({ name, value }))
  // User labels first, then hako's label, which wins (Hako::Container merges it last).
  const dockerLabels = userMap({
    ...(c.docker_labels ?? {}),
    [HAKO_VERSION_LABEL]: HAKO_COMPAT_VERSION
  })
  return compact<ContainerDefinition>({
    name: container.name,
    image: container.image,
    cpu: c.cpu ?? 0,
    memory: c.memory,
    memoryReservation: c.memory_reservation,
    links: c.links ?? [],
    portMappings: (c.port_mappings ?? []).map((p) => ({
      containerPort: p.container_port,
      hostPort: p.host_port,
      protocol: p.protocol ?? 'tcp'
    })),
    essential: c.essential ?? true,
    environment,
    secrets: c.secrets?.map((s) => ({ name: s.name, valueFrom: s.value_from })),
    dockerLabels,
    mountPoints: (c.mount_points ?? []).map((m) => ({
      sourceVolume: m.source_volume,
      containerPath: m.container_path,
      readOnly: m.read_only ?? false
    })),
    entryPoint: c.entry_point,
    command: c.command,
    privileged: c.privileged ?? false,
    linuxParameters: c.linux_parameters ? renderLinuxParameters(c.linux_parameters) : undefined,
    dependsOn: c.depends_on?.map((d) => ({
      containerName: d.container_name,
      condition: d.condition
    })),
    volumesFrom: (c.volumes_from ?? []).map((v) => ({
      sourceContainer: v.source_container,
      readOnly: v.read_only ?? false
    })),
    user: c.user,
    logConfiguration: c.log_configuration
      ? { logDriver: c.log_configuration.log_driver, options: userMap(c.log_configuration.options) }
      : undefined,
    healthCheck: c.health_check ? renderHealthCheck(c.health_check) : undefined,
    ulimits: c.ulimits?.map((u) => ({
      name: u.name,
      softLimit: u.soft_limit,
      hardLimit: u.hard_limit
    })),
    extraHosts: c.extra_hosts?.map((h) => ({ hostname: h.hostname, ipAddress: h.ip_address })),
    readonlyRootFilesystem: c.readonly_root_filesystem,
    dockerSecurityOptions: c.docker_security_options,
    systemControls: c.system_controls?.map((s) => ({ namespace: s.namespace, value: s.value })),
    repositoryCredentials: c.repository_credentials
      ? { credentialsParameter: c.repository_credentials.credentials_parameter }
      : undefined,
    resourceRequirements: c.resource_requirements?.map((r) => ({ type: r.type, value: r.value })),
    firelensConfiguration: c.firelens_configuration
      ? compact({
          type: c.firelens_configuration.type,
          options: c.firelens_configuration.options && userMap(c.firelens_configuration.options)
        })
      : undefined
  })
}

/** linux_parameters, with hako's defaults (capabilities and device permissions as empty lists). */
function renderLinuxParameters(
  lp: NonNullable<ContainerDefinitionKeys['linux_parameters']>
): LinuxParameters {
  return compact({
    capabilities: lp.capabilities
      ? { add: lp.capabilities.add ?? [], drop: lp.capabilities.drop ?? [] }
      : undefined,
    devices: lp.devices?.map((d) =>
      compact({
        hostPath: d.host_path,
        containerPath: d.container_path,
        permissions: d.permissions ?? []
      })
    ),
    initProcessEnabled: lp.init_process_enabled,
    sharedMemorySize: lp.shared_memory_size,
    tmpfs: lp.tmpfs?.map((t) => ({
      containerPath: t.container_path,
      mountOptions: t.mount_options ?? [],
      size: t.size
    })),
    maxSwap: lp.max_swap,
    swappiness: lp.swappiness
  })
}

/** health_check, with hako's defaults: interval 30, retries 3, timeout 5. */
function renderHealthCheck(hc: NonNullable<ContainerDefinitionKeys['health_check']>): HealthCheck {
  return compact({
    command: hc.command,
    interval: hc.interval ?? 30,
    retries: hc.retries ?? 3,
    timeout: hc.timeout ?? 5,
    startPeriod: hc.start_period
  })
}

/** Renders one top-level volume (source_path, docker or EFS configuration, docs/hako.md, "Volumes"). */
export function renderVolume(name: string, volume: VolumeDefinition): Volume {
  const docker = volume.docker_volume_configuration
  const efs = volume.efs_volume_configuration
  if (docker) {
    return {
      name,
      dockerVolumeConfiguration: compact({
        scope: docker.scope,
        autoprovision: docker.autoprovision,
        driver: docker.driver,
        driverOpts: docker.driver_opts ? userMap(docker.driver_opts) : undefined,
        labels: docker.labels ? userMap(docker.labels) : undefined
      })
    }
  }
  if (efs) {
    return {
      name,
      efsVolumeConfiguration: compact({
        fileSystemId: efs.file_system_id,
        rootDirectory: efs.root_directory,
        transitEncryption: efs.transit_encryption,
        transitEncryptionPort: efs.transit_encryption_port,
        authorizationConfig: efs.authorization_config
          ? compact({
              accessPointId: efs.authorization_config.access_point_id,
              iam: efs.authorization_config.iam
            })
          : undefined
      })
    }
  }
  // Neither form: ECS treats a volume with no source path as a host volume it manages.
  return { name, host: compact({ sourcePath: volume.source_path }) }
}

/** Task tags: a map to [{key, value}], values as text (hako calls to_s), keys verbatim. */
export function renderTags(
  tags: SchedulerDefinition['tags']
): { key: string; value: string }[] | undefined {
  const entries = Object.entries(tags ?? {})
  return entries.length === 0
    ? undefined
    : entries.map(([key, value]) => ({ key, value: String(value) }))
}

export interface RegisterRenderParams {
  family: string
  scheduler: SchedulerDefinition
  volumes: Definition['volumes']
  containers: readonly ContainerToRender[]
}

/** The RegisterTaskDefinition request, with the members hako sends and nothing unset. */
export function renderRegisterRequest(
  params: RegisterRenderParams
): RegisterTaskDefinitionCommandInput {
  const s = params.scheduler
  return compact<RegisterTaskDefinitionCommandInput>({
    family: params.family,
    taskRoleArn: s.task_role_arn,
    executionRoleArn: s.execution_role_arn,
    networkMode: s.network_mode,
    containerDefinitions: params.containers.map(renderContainer),
    volumes: Object.entries(params.volumes ?? {}).map(([name, volume]) =>
      renderVolume(name, volume)
    ),
    requiresCompatibilities: s.requires_compatibilities,
    cpu: s.cpu === undefined ? undefined : String(s.cpu),
    memory: s.memory === undefined ? undefined : String(s.memory),
    tags: renderTags(s.tags),
    pidMode: s.pid_mode,
    ephemeralStorage: s.ephemeral_storage
      ? { sizeInGiB: s.ephemeral_storage.size_in_gi_b }
      : undefined,
    runtimePlatform: s.runtime_platform
      ? compact({
          cpuArchitecture: s.runtime_platform.cpu_architecture,
          operatingSystemFamily: s.runtime_platform.operating_system_family
        })
      : undefined
  })
}

/**
 * The app container's resources of a run (hako oneshot's `--app-*`). Its command and env are
 * each task's own and are applied once, by the run plan (src/tasks/batch.ts, requestFor).
 */
export interface AppOverrides {
  cpu?: number
  memory?: number
  memoryReservation?: number
}

export interface RunTaskRenderParams {
  cluster: string
  family: string
  scheduler: SchedulerDefinition
  overrides: AppOverrides
}

/**
 * The `app` container override with only the values that are set, or undefined when none is
 * (no empty override is ever sent).
 */
export function renderAppOverride(overrides: AppOverrides): ContainerOverride | undefined {
  const override = compact<ContainerOverride>({
    name: 'app',
    cpu: overrides.cpu,
    memory: overrides.memory,
    memoryReservation: overrides.memoryReservation
  })
  return Object.keys(override).length > 1 ? override : undefined
}

/**
 * The RunTask request as hako sends it (count 1, propagateTags TASK_DEFINITION, the app's
 * resources), with `taskDefinition` set to the family: the run plan (src/plan.ts) adds
 * startedBy, group and tags, each task's command and env, and the resolved ARN.
 */
export function renderRunTaskRequest(
  params: RunTaskRenderParams
): RunTaskCommandInput & { taskDefinition: string; cluster: string } {
  const s = params.scheduler
  const override = renderAppOverride(params.overrides)
  const vpc = s.network_configuration?.awsvpc_configuration
  return compact({
    cluster: params.cluster,
    taskDefinition: params.family,
    count: 1,
    launchType: s.launch_type,
    capacityProviderStrategy: s.capacity_provider_strategy?.map((c) =>
      compact({ capacityProvider: c.capacity_provider, weight: c.weight, base: c.base })
    ),
    platformVersion: s.platform_version,
    networkConfiguration: vpc
      ? {
          awsvpcConfiguration: compact({
            subnets: vpc.subnets,
            securityGroups: vpc.security_groups,
            assignPublicIp: vpc.assign_public_ip
          })
        }
      : undefined,
    placementConstraints: s.placement_constraints?.map((p) =>
      compact({ type: p.type, expression: p.expression })
    ),
    placementStrategy: s.placement_strategy?.map((p) => compact({ type: p.type, field: p.field })),
    enableExecuteCommand: s.enable_execute_command,
    propagateTags: 'TASK_DEFINITION' as const,
    overrides: override ? { containerOverrides: [override] } : undefined
  })
}
