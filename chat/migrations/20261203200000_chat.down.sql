DROP TABLE gamekit_chat_blocks;
DROP TABLE gamekit_chat_mutes;
DROP TABLE gamekit_chat_rates;
DROP TABLE gamekit_chat_messages;
DROP TABLE gamekit_chat_members;
DROP TABLE gamekit_chat_rooms;
