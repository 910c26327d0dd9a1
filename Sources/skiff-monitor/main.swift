// The monitor of one container; see SkiffMonitor.MonitorProcess.
import SkiffMonitor

MonitorProcess.main(CommandLine.arguments)
