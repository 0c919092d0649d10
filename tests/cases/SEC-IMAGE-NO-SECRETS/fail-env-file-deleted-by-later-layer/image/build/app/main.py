from agent_service.app import main

main()
