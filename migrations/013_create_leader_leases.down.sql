DROP TABLE daap.leaders;
