DROP TABLE gamekit_monster_transitions;
DROP TABLE gamekit_monsters;
