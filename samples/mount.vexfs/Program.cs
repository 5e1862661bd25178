using MountVexfs;

return MountCommand.Run(args);
