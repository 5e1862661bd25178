using System.CommandLine;
using VexCtl;

var root = new RootCommand("vexctl: inspect and exercise VexFS devices and images.")
{
    DeviceCommands.Create(),
    DeviceCommands.Info(),
    DeviceCommands.Verify(),
};
return CommandRunner.Run(root, args);
