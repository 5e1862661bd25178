using MkfsVexfs;

return MkfsCommand.Run(args);
