using System.CommandLine;
using VexCtl;

var root = new RootCommand("vexctl: work with VexFS images and devices without mounting them.")
{
    ImageCommands.DeviceOption,
    DeviceCommands.Create(),
    DeviceCommands.Info(),
    DeviceCommands.Verify(),
};
foreach (var command in ImageCommands.All().Concat(AttributeCommands.All()).Concat(VectorCommands.All()))
{
    root.Add(command);
}

return CommandRunner.Run(root, args);
