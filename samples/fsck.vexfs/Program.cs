using FsckVexfs;

return FsckCommand.Run(args);
