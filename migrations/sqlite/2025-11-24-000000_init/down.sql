DROP TABLE rooms;
DROP TABLE users;
