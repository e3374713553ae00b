/** The catalog: every tool spec, in the order a model sees them. */
import type { ToolSpec } from './tool.ts'
import type { ToolName } from './types.ts'
import { diskUsage } from './catalog/disk.ts'
import { memory, systemLoadTool, topProcesses, uptime } from './catalog/resources.ts'
import { failedServices, recentErrors, serviceStatus } from './catalog/services.ts'
import { dnsCheck, listeningPorts, networkInterfaces } from './catalog/network.ts'
import { osInfo } from './catalog/os.ts'

export const CATALOG: ReadonlyArray<ToolSpec<any, any> & { name: ToolName }> = [
  diskUsage as ToolSpec<any, any> & { name: 'disk_usage' },
  memory as ToolSpec<any, any> & { name: 'memory' },
  systemLoadTool as ToolSpec<any, any> & { name: 'system_load' },
  failedServices as ToolSpec<any, any> & { name: 'failed_services' },
  serviceStatus as ToolSpec<any, any> & { name: 'service_status' },
  dnsCheck as ToolSpec<any, any> & { name: 'dns_check' },
  listeningPorts as ToolSpec<any, any> & { name: 'listening_ports' },
  topProcesses as ToolSpec<any, any> & { name: 'top_processes' },
  recentErrors as ToolSpec<any, any> & { name: 'recent_errors' },
  uptime as ToolSpec<any, any> & { name: 'uptime' },
  osInfo as ToolSpec<any, any> & { name: 'os_info' },
  networkInterfaces as ToolSpec<any, any> & { name: 'network_interfaces' }
]
